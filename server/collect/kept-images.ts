import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Transaction } from 'kysely';
import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { dispose } from '../disposal/service.js';
import { encryptToOffice } from '../drops/encrypt-stream.js';
import { officeRecipient } from '../drops/office-recipient.js';
import { failpoint } from '../failpoints.js';
import { BadRequest, NotFound } from '../http/errors.js';
import { decryptDrop } from '../ingest/decrypt.js';
import { unlockOfficeKey } from '../keys/office-key.js';
import { randomId, randomStorageKey } from '../lib/random.js';
import type { SubmissionPayload } from './payload.js';
import { keptImagesPayload } from './payload.js';

/**
 * A confirmed submission's identity images, while the office's policy keeps
 * them (image-policy.ts; default: not at all). At confirmation — the office
 * key is unlocked and the submission open in memory then — only the images
 * are encrypted again to the office public key and stored on their own in
 * the drops location; the submission itself, with the numbers as typed, is
 * destroyed as before. So what is kept is never in the clear on a disk, holds
 * no typed number, and is read again only by a key holder with their
 * passphrase, in memory, for one no-store page.
 *
 * They end through the one disposal routine (disposal/), with a record: when
 * `keep_until` passes (the hourly run, image-timer.ts, and `kinko
 * collect:expire-images`), or when the director destroys them sooner. A
 * confirmation killed after storing them and before committing leaves a
 * `storing` row, destroyed the same way an hour later (nothing else may be
 * writing it by then).
 */
export type KeptImagesRow = Database['collect_kept_images'];

/**
 * Written before the confirmation's transaction; the caller marks it kept inside it (markKept) or abandons it.
 * `personId`: the employee (本人) whose documents these are — the person the confirmation creates, or the one held already.
 */
export async function storeKeptImages(deps: Deps, sub: { id: string; request_id: string; company_id: string }, identity: SubmissionPayload['identity'], personId: string | null): Promise<KeptImagesRow> {
  const now = deps.clock.now().toISOString();
  const row: KeptImagesRow = {
    id: randomId(), submission_id: sub.id, request_id: sub.request_id, company_id: sub.company_id, stored_key: randomStorageKey('i'),
    size: 0, sha256: '', identity_kind: identity.kind, roles: identity.images.map((im) => im.role).join(','), state: 'storing',
    confirmed_at: null, keep_until: null, created_at: now, updated_at: now, person_id: personId,
  };
  const plain = Buffer.from(JSON.stringify({ v: 1, kind: identity.kind, images: identity.images }), 'utf8');
  const chunks: Buffer[] = [];
  try {
    for await (const c of await encryptToOffice(Readable.from([plain]), (await officeRecipient(deps.db)).key)) chunks.push(c as Buffer);
  } finally {
    plain.fill(0);
  }
  const cipher = Buffer.concat(chunks);
  row.size = cipher.length;
  row.sha256 = createHash('sha256').update(cipher).digest('hex');
  // The row first: a crash after the put leaves a row that says where the ciphertext is, never an object nobody knows of.
  await deps.db.insertInto('collect_kept_images').values(row).execute();
  await deps.storage.drops.put(row.stored_key, Readable.from([cipher]));
  failpoint('collect-images.after-put');
  return row;
}

/** Inside the confirmation's transaction: from now on they are kept until `keepUntil`. */
export async function markKept(trx: Transaction<Database>, id: string, confirmedAt: Date, keepDays: number): Promise<void> {
  const keepUntil = new Date(confirmedAt.getTime() + keepDays * 24 * 60 * 60_000).toISOString();
  await trx.updateTable('collect_kept_images').set({ state: 'kept', confirmed_at: confirmedAt.toISOString(), keep_until: keepUntil, updated_at: confirmedAt.toISOString() }).where('id', '=', id).where('state', '=', 'storing').execute();
}

/** `collect-images-person-disposed`: the number the card shows was disposed of (person-images.ts), so its picture goes too. */
export type DisposeReason = 'collect-images-expired' | 'collect-images-abandoned' | 'collect-images-early' | 'collect-images-person-disposed';

/** Deleted in every version, verified by listing, recorded (one routine, P5); false when another run recorded it first. */
export function disposeKeptImages(deps: Deps, row: KeptImagesRow, reason: DisposeReason, by: { userId: string | null; role: string | null; requestId?: string }, why: Record<string, string> = {}): Promise<boolean> {
  return dispose(deps, {
    subject: { kind: 'drop', id: row.id },
    companyId: row.company_id,
    reason,
    objects: [{ location: 'drops', key: row.stored_key, sha256: row.sha256 || null, size: row.size || null }],
    by,
    audit: { action: 'collect.imagesDisposed', purpose: '本人確認書類の廃棄', targetIds: [row.request_id, row.submission_id, row.id], details: { reason, images: row.roles.split(',').filter(Boolean).length, keptUntil: row.keep_until, ...why } },
    notVerifiedMessage: 'collect.errors.imagesNotDisposed',
    failpoints: { afterDelete: 'collect-images.after-delete' },
    within: async (trx, verifiedAt) => {
      const r = await trx.updateTable('collect_kept_images').set({ state: 'disposed', updated_at: verifiedAt }).where('id', '=', row.id).where('state', '=', row.state).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
  });
}

/**
 * Every kept image set whose time is up, every `storing` one a crash left,
 * and every one whose employee's number was disposed of by a path that did
 * not destroy it in its own run (person-images.ts: the vault's cohort erase,
 * or a confirmation that committed while the person's batch ran), destroyed
 * one by one; one that cannot be verified gone stays and is tried at the next
 * run. Hourly (image-timer.ts) and `kinko collect:expire-images`.
 */
export async function disposeDueImages(deps: Deps): Promise<{ disposed: number; failed: number }> {
  const now = deps.clock.now();
  const stale = new Date(now.getTime() - limits.collect.imageStoringStaleMs).toISOString();
  const due = await deps.db
    .selectFrom('collect_kept_images')
    .selectAll()
    .where((eb) => eb.or([eb.and([eb('state', '=', 'kept'), eb('keep_until', '<=', now.toISOString())]), eb.and([eb('state', '=', 'storing'), eb('created_at', '<=', stale)])]))
    .orderBy('keep_until')
    .execute();
  const ofDisposed = await deps.db
    .selectFrom('collect_kept_images')
    .innerJoin('persons', 'persons.id', 'collect_kept_images.person_id')
    .selectAll('collect_kept_images')
    .where('collect_kept_images.state', '=', 'kept')
    .where('persons.state', '=', 'disposed')
    .execute();
  const gone = new Set(ofDisposed.map((r) => r.id));
  let disposed = 0;
  let failed = 0;
  for (const row of [...ofDisposed, ...due.filter((r) => !gone.has(r.id))]) {
    const reason: DisposeReason = gone.has(row.id) ? 'collect-images-person-disposed' : row.state === 'kept' ? 'collect-images-expired' : 'collect-images-abandoned';
    try {
      if (await disposeKeptImages(deps, row, reason, { userId: null, role: 'system' })) disposed++;
    } catch (err) {
      failed++;
      deps.logger.error({ keptImages: row.id, err: { name: (err as Error).name } }, 'identity images not destroyed yet; tried again at the next run');
    }
  }
  return { disposed, failed };
}

async function keptRow(deps: Deps, id: string): Promise<KeptImagesRow> {
  const row = typeof id === 'string' && id.length <= 64 ? await deps.db.selectFrom('collect_kept_images').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  // Past its time it is gone for every purpose, even before the hourly run has destroyed it.
  if (!row || row.state !== 'kept' || !row.keep_until || row.keep_until <= deps.clock.now().toISOString()) throw new NotFound();
  return row;
}

/** Who and which company kept images are about (no content): 404 for anything else. */
export async function keptImagesHeader(deps: Deps, id: string) {
  const row = await keptRow(deps, id);
  const head = await deps.db
    .selectFrom('collect_requests')
    .innerJoin('companies', 'companies.id', 'collect_requests.company_id')
    .select(['collect_requests.person_name', 'collect_requests.employee_code', 'companies.name as company_name'])
    .where('collect_requests.id', '=', row.request_id)
    .executeTakeFirstOrThrow();
  return { id: row.id, companyId: row.company_id, companyName: head.company_name, personName: head.person_name, employeeCode: head.employee_code, keepUntil: row.keep_until!, confirmedAt: row.confirmed_at!, roles: row.roles.split(',') };
}

/** The kept images for one response only (the route sends it no-store). Audited: the card's back shows the number. */
export async function viewKeptImages(deps: Deps, acting: Acting, actor: { userId: string }, id: string, passphrase: string) {
  const row = await keptRow(deps, id);
  const key = await unlockOfficeKey(deps, actor.userId, passphrase, { form: 'ingest' });
  const chunks: Buffer[] = [];
  for await (const c of await deps.storage.drops.get(row.stored_key)) chunks.push(c as Buffer);
  const plain = await decryptDrop(Readable.from([Buffer.concat(chunks)]), key, limits.collect.maxSubmissionBytes * 2);
  const parsed = keptImagesPayload.safeParse(JSON.parse(plain.toString('utf8')));
  plain.fill(0);
  if (!parsed.success) throw new BadRequest('collect.errors.unreadable');
  await deps.db.transaction().execute((trx) => record(trx, acting, { action: 'collect.imagesViewed', companyId: row.company_id, targetIds: [row.request_id, row.submission_id, row.id], purpose: '本人確認', details: { images: parsed.data.images.length } }));
  // HEIC cannot be shown by most browsers: it is named, not shown.
  return parsed.data.images.map((im) => ({ role: im.role, type: im.type, src: im.type === 'image/heic' ? null : `data:${im.type};base64,${im.data}` }));
}

/** The director destroys them before their time (step-up at the route), with the same record. */
export async function destroyKeptNow(deps: Deps, acting: Acting, id: string): Promise<{ companyId: string }> {
  const row = await keptRow(deps, id);
  await disposeKeptImages(deps, row, 'collect-images-early', { userId: acting.userId, role: acting.role, ...(acting.requestId ? { requestId: acting.requestId } : {}) });
  return { companyId: row.company_id };
}

/** request id → the images kept for it (id and until when), for the company page. */
export async function keptImagesOfCompany(deps: Deps, companyId: string): Promise<Record<string, { id: string; keepUntil: string }>> {
  const rows = await deps.db.selectFrom('collect_kept_images').select(['id', 'request_id', 'keep_until']).where('company_id', '=', companyId).where('state', '=', 'kept').where('keep_until', '>', deps.clock.now().toISOString()).execute();
  return Object.fromEntries(rows.map((r) => [r.request_id, { id: r.id, keepUntil: r.keep_until! }]));
}
