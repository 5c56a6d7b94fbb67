import { Readable } from 'node:stream';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { requestActing, type Acting } from '../audit/acting.js';
import { auditContext } from '../audit/service.js';
import { record } from '../audit/record.js';
import { dispose } from '../disposal/service.js';
import { decryptDrop } from '../ingest/decrypt.js';
import { BadRequest, NotFound } from '../http/errors.js';
import { unlockOfficeKey } from '../keys/office-key.js';
import { limits } from '../config.js';
import { randomId } from '../lib/random.js';
import { maskNumber } from '../mynumber/mask.js';
import { ingestCohort, NumberInPersonRow, openVaultSession, type CustodyPerson } from '../vault/index.js';
import { withoutDigitRuns } from './employee-service.js';
import { collectLinkHash, collectUrl, newCollectLink } from './links.js';
import { requestEmail } from './mail.js';
import { submissionPayload, vaultRelations, type SubmissionPayload } from './payload.js';
import * as repo from './repo.js';
import { imagePolicy } from './image-policy.js';
import { disposeKeptImages, markKept, storeKeptImages } from './kept-images.js';

/**
 * Arrival (issue 18 §3): a key holder opens a submission with their key
 * passphrase — the office key is unlocked for this one request and the
 * submission decrypted in memory, never written anywhere — sees the persons
 * masked beside the identity images, and confirms or sends it back.
 * Confirming takes custody through the vault's API as an ingest does, then
 * destroys the submission through the one disposal routine. Identity images
 * are part of the submission, so they go with it — unless the office's policy
 * keeps them for some days (image-policy.ts), in which case only the images
 * are stored again, encrypted to the office key, before the confirmation
 * commits (kept-images.ts). A returned submission keeps nothing: no identity
 * check was completed with those images, and the employee sends new ones.
 */
type Row = NonNullable<Awaited<ReturnType<typeof submissionRow>>>;

function submissionRow(deps: Deps, id: string) {
  return deps.db
    .selectFrom('collect_submissions')
    .innerJoin('collect_requests', 'collect_requests.id', 'collect_submissions.request_id')
    .select(['collect_submissions.id', 'collect_submissions.company_id', 'collect_submissions.stored_key', 'collect_submissions.sha256', 'collect_submissions.size', 'collect_submissions.state', 'collect_submissions.return_mailed_at',
      'collect_requests.id as request_id', 'collect_requests.person_name', 'collect_requests.employee_code', 'collect_requests.email', 'collect_requests.status as request_status'])
    .where('collect_submissions.id', '=', id)
    .executeTakeFirst();
}

async function received(deps: Deps, id: string): Promise<Row> {
  const row = typeof id === 'string' && id.length <= 64 ? await submissionRow(deps, id) : undefined;
  if (!row || row.state !== 'received') throw new NotFound();
  return row;
}

async function readPayload(deps: Deps, row: Row, actor: { userId: string }, passphrase: string) {
  const key = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'ingest' });
  const chunks: Buffer[] = [];
  for await (const c of await deps.storage.drops.get(row.stored_key)) chunks.push(c as Buffer);
  const plain = await decryptDrop(Readable.from([Buffer.concat(chunks)]), key, limits.collect.maxSubmissionBytes * 2);
  const parsed = submissionPayload.safeParse(JSON.parse(plain.toString('utf8')));
  plain.fill(0);
  if (!parsed.success) throw new BadRequest('collect.errors.unreadable');
  return { key, payload: parsed.data };
}

export interface ArrivalView {
  id: string;
  personName: string;
  employeeCode: string | null;
  persons: Array<{ relation: string; name: string; birth: string; masked: string; held: 'new' | 'duplicate' | 'numberChange' }>;
  images: Array<{ role: string; src: string | null; type: string }>;
  /** The office's policy: days the images are kept after a confirmation (0: destroyed with the submission). */
  imagesKeptDays: number;
}

/** The persons (masked) and the images, for one response only (the route sends it no-store). Audited: the images show the number. */
export async function viewSubmission(deps: Deps, acting: Acting, actor: { userId: string }, id: string, passphrase: string): Promise<ArrivalView> {
  const row = await received(deps, id);
  const { key, payload } = await readPayload(deps, row, actor, passphrase);
  const plan = await planPersons(deps, row, key, payload);
  await deps.db.transaction().execute((trx) => record(trx, acting, { action: 'collect.viewed', companyId: row.company_id, targetIds: [row.request_id, row.id], details: { persons: payload.persons.length, images: payload.identity.images.length } }));
  return {
    id: row.id, personName: row.person_name, employeeCode: row.employee_code,
    persons: payload.persons.map((p, i) => ({ relation: plan.relations[i]!, name: p.name, birth: p.birth, masked: maskNumber(p.number), held: plan.held[i]! })),
    // HEIC cannot be shown by most browsers: it is named, not shown.
    images: payload.identity.images.map((im) => ({ role: im.role, type: im.type, src: im.type === 'image/heic' ? null : `data:${im.type};base64,${im.data}` })),
    imagesKeptDays: (await imagePolicy(deps.db)).keepDays,
  };
}

async function planPersons(deps: Deps, row: Row, key: Parameters<typeof openVaultSession>[1]['officeKey'], payload: SubmissionPayload) {
  const session = await openVaultSession(deps, { companyId: row.company_id, officeKey: key, cohort: ingestCohort(deps.clock.now()) });
  const relations = vaultRelations(payload.persons);
  let heldSelfId: string | null = null;
  const held = await Promise.all(
    payload.persons.map(async (p, i): Promise<'new' | 'duplicate' | 'numberChange'> => {
      const byNumber = await session.findByNumber(deps.db, p.number);
      if (byNumber) {
        if (i === 0) heldSelfId = byNumber.id;
        return 'duplicate';
      }
      const same = await session.findByEmployee(deps.db, { employeeCode: row.employee_code, name: p.name, relation: relations[i]! });
      if (i === 0 && same[0]) heldSelfId = same[0].id;
      return same.length > 0 ? 'numberChange' : 'new';
    }),
  );
  // A new dependent of an employee held already belongs to that held employee.
  return { session, relations, held, heldSelfId: heldSelfId as string | null };
}

/**
 * Numbers to the vault, persons to the database, as ingest does: duplicates
 * skipped, and a held person whose entered number differs from the one held
 * is held back — not stored, counted in the audit entry and on the page, for
 * staff to check with the employee (a My Number changes only when the
 * municipality reissues it) — the rest confirmed; the request marked
 * confirmed, then the submission destroyed with its disposal record.
 */
export async function confirmSubmission(deps: Deps, acting: Acting, actor: { userId: string; role: string }, id: string, passphrase: string): Promise<{ added: number; duplicates: number; heldBack: number }> {
  const row = await received(deps, id);
  const { key, payload } = await readPayload(deps, row, actor, passphrase);
  const plan = await planPersons(deps, row, key, payload);
  const heldBack = plan.held.filter((h) => h === 'numberChange').length;
  const adds = payload.persons.map((p, i) => ({ p, i })).filter(({ i }) => plan.held[i] === 'new');
  const custody = plan.session.takeCustody(adds.map(({ p, i }) => ({ key: String(i), number: p.number })));
  const selfId = randomId();
  const persons: CustodyPerson[] = adds.map(({ p, i }) => ({
    key: String(i), id: i === 0 ? selfId : randomId(), name: p.name, employeeCode: i === 0 ? row.employee_code : null, relation: plan.relations[i]!,
    employeePersonId: i === 0 ? null : plan.held[0] === 'new' ? selfId : plan.heldSelfId, sourceDropId: row.id, sourceSheet: null, sourceRow: null,
  }));
  const { keepDays } = await imagePolicy(deps.db);
  // Whose documents the images are: the employee this confirmation creates, or the one held already (duplicate, number change).
  const selfPersonId = plan.held[0] === 'new' ? selfId : plan.heldSelfId;
  const kept = keepDays > 0 && payload.identity.images.length > 0 ? await storeKeptImages(deps, row, payload.identity, selfPersonId) : null;
  const at = deps.clock.now();
  const now = at.toISOString();
  try {
    await custody.stage(persons);
    await deps.db.transaction().execute(async (trx) => {
      const moved = await trx.updateTable('collect_submissions').set({ state: 'confirmed', updated_at: now }).where('id', '=', row.id).where('state', '=', 'received').executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw new NotFound();
      await repo.moveRequest(trx, row.request_id, 'submitted', { status: 'confirmed', updated_at: now });
      await custody.commit(trx);
      if (kept) await markKept(trx, kept.id, at, keepDays);
      // The record of the identity check (番号確認・身元確認): which documents, and how long their images are kept — never what they showed.
      const identity = { identityKind: payload.identity.kind, images: payload.identity.images.map((im) => im.role).join(','), imagesKeptDays: kept ? keepDays : 0 };
      await record(trx, acting, { action: 'collect.confirmed', companyId: row.company_id, targetIds: [row.request_id, row.id], purpose: '個人番号の受領・保管', details: { added: adds.length, duplicates: payload.persons.length - adds.length - heldBack, heldBack, ...identity } });
    });
  } catch (err) {
    await custody.abandon().catch(() => undefined);
    if (kept) await disposeKeptImages(deps, kept, 'collect-images-abandoned', { userId: actor.userId, role: actor.role }).catch(() => undefined);
    if (err instanceof NumberInPersonRow) throw new BadRequest('collect.errors.numberInText');
    throw err;
  }
  failpoint('collect.after-commit');
  await destroySubmission(deps, actor, row, 'collect-confirmed');
  return { added: adds.length, duplicates: payload.persons.length - adds.length - heldBack, heldBack };
}

/** The submission (form and identity images) deleted in every version, verified, recorded (disposal/). */
async function destroySubmission(deps: Deps, actor: { userId: string | null; role: string }, row: Row, reason: string): Promise<void> {
  await dispose(deps, {
    subject: { kind: 'drop', id: row.id },
    companyId: row.company_id,
    reason,
    objects: [{ location: 'drops', key: row.stored_key, sha256: row.sha256, size: row.size }],
    by: { userId: actor.userId, role: actor.role },
    audit: { action: 'collect.disposed', purpose: '本人確認書類・提出内容の廃棄', targetIds: [row.request_id, row.id], details: { reason } },
    notVerifiedMessage: 'collect.errors.notDisposed',
    failpoints: { afterDelete: 'collect.after-delete' },
    within: async (trx, verifiedAt) => {
      const r = await trx.updateTable('collect_submissions').set({ state: 'disposed', updated_at: verifiedAt }).where('id', '=', row.id).where('state', 'in', ['confirmed', 'returned']).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  });
}

/**
 * Sends a submission back with a reason: the employee gets a new link (the
 * old one is dead with the old hash) by e-mail — or, without an address, on a
 * slip the caller shows once — and the submission is destroyed.
 */
export async function returnSubmission(deps: Deps, acting: Acting, actor: { userId: string; role: string }, id: string, reason: string): Promise<{ mailed: boolean; link: string }> {
  const row = await received(deps, id);
  const kept = withoutDigitRuns(reason).trim().slice(0, limits.collect.reasonMaxChars);
  if (!kept) throw new BadRequest('collect.errors.returnReasonRequired');
  const link = newCollectLink();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + limits.collect.linkTtlMs);
  await deps.db.transaction().execute(async (trx) => {
    const moved = await trx.updateTable('collect_submissions').set({ state: 'returned', updated_at: now.toISOString() }).where('id', '=', row.id).where('state', '=', 'received').executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new NotFound();
    const current = await trx.selectFrom('collect_requests').select('links_issued').where('id', '=', row.request_id).executeTakeFirstOrThrow();
    await repo.moveRequest(trx, row.request_id, 'submitted', {
      status: 'requested', link_hash: collectLinkHash(link), expires_at: expiresAt.toISOString(), links_issued: current.links_issued + 1,
      opened_at: null, acknowledged_at: null, notice_version: null, submitted_at: null, return_reason: kept, updated_at: now.toISOString(),
    });
    await record(trx, acting, { action: 'collect.returned', companyId: row.company_id, targetIds: [row.request_id, row.id], details: { reasonGiven: true } });
  });
  failpoint('collect.after-return');
  // Mailed before the submission is destroyed, and noted: a crash in between is then told apart at start-up.
  const mailed = await mailReturn(deps, row, link, expiresAt, kept);
  await destroySubmission(deps, actor, row, 'collect-returned');
  return { mailed, link };
}

/** The employee's new link by e-mail (when the request has an address); true once sent, and noted on the submission. */
async function mailReturn(deps: Deps, row: Row, link: string, expiresAt: Date, reason: string): Promise<boolean> {
  if (!row.email) return false;
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', row.company_id).executeTakeFirstOrThrow();
  const t = { ja: deps.i18n.getFixedT('ja'), en: deps.i18n.getFixedT('en') };
  try {
    await deps.mailer.send(requestEmail(row.email, { companyName: company.name, personName: row.person_name, url: collectUrl(deps.config.publicUrl, link), expiresAt, returnReason: reason }, t));
  } catch (err) {
    deps.logger.warn({ collectRequest: row.request_id, err: (err as Error).name }, 'collection return: e-mail not sent, shown as a slip');
    return false;
  }
  await deps.db.updateTable('collect_submissions').set({ return_mailed_at: deps.clock.now().toISOString() }).where('id', '=', row.id).execute();
  return true;
}

/**
 * A return whose e-mail a crash cut short: the link committed with it is
 * kept nowhere (only its hash), so a fresh one replaces it — the unsent one
 * dies — and is mailed with the same reason. By kinko itself, audited.
 */
async function remailReturn(deps: Deps, row: Row): Promise<void> {
  const link = newCollectLink();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + limits.collect.linkTtlMs);
  const reason = await deps.db.transaction().execute(async (trx) => {
    const req = await trx.selectFrom('collect_requests').select(['links_issued', 'return_reason', 'status']).where('id', '=', row.request_id).executeTakeFirstOrThrow();
    if (req.status !== 'requested') return null; // answered or revoked meanwhile: nothing to send
    await trx.updateTable('collect_requests').set({ link_hash: collectLinkHash(link), expires_at: expiresAt.toISOString(), links_issued: req.links_issued + 1, updated_at: now.toISOString() }).where('id', '=', row.request_id).execute();
    await record(trx, requestActing(auditContext(deps), { role: 'system' }), { action: 'collect.linkReissued', companyId: row.company_id, targetIds: [row.request_id, row.id], details: { why: 'returnMailInterrupted' } });
    return req.return_reason ?? '';
  });
  if (reason !== null) await mailReturn(deps, row, link, expiresAt, reason);
}

/**
 * Start-up (P9): a submission whose confirmation or return committed but
 * whose destruction a crash cut short (state confirmed / returned) is
 * destroyed now, with its disposal record — by kinko itself. A return
 * whose e-mail was not sent yet gets a fresh link by e-mail first
 * (remailReturn), so the employee is not left waiting for a mail that never
 * comes.
 */
export async function resumeCollectDisposals(deps: Deps): Promise<number> {
  const rows = await deps.db.selectFrom('collect_submissions').select('id').where('state', 'in', ['confirmed', 'returned']).execute();
  let done = 0;
  for (const { id } of rows) {
    const row = await submissionRow(deps, id);
    if (!row) continue;
    try {
      if (row.state === 'returned' && row.email && !row.return_mailed_at) await remailReturn(deps, row);
      await destroySubmission(deps, { userId: null, role: 'system' }, row, row.state === 'confirmed' ? 'collect-confirmed' : 'collect-returned');
      done++;
    } catch (err) {
      deps.logger.error({ submission: id, err: (err as Error).name }, 'collected submission not destroyed yet; the next start retries');
    }
  }
  return done;
}

/** Who and which company a received submission is about (no content): 404 for anything else. */
export async function submissionHeader(deps: Deps, id: string) {
  const row = await received(deps, id);
  const company = await deps.db.selectFrom('companies').select('name').where('id', '=', row.company_id).executeTakeFirstOrThrow();
  return { id: row.id, companyId: row.company_id, companyName: company.name, personName: row.person_name, employeeCode: row.employee_code };
}

/** request id → received submission id, for the company page's "open" links. */
export async function receivedSubmissions(deps: Deps, companyId: string): Promise<Record<string, string>> {
  const rows = await deps.db.selectFrom('collect_submissions').select(['id', 'request_id']).where('company_id', '=', companyId).where('state', '=', 'received').execute();
  return Object.fromEntries(rows.map((r) => [r.request_id, r.id]));
}
