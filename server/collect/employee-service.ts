import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { limits } from '../config.js';
import type { Deps } from '../deps.js';
import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { officeRecipient } from '../drops/office-recipient.js';
import { noteArrival } from '../notify/service.js';
import { looksArmored, sniffOpenPgp } from '../drops/openpgp-sniff.js';
import { BadRequest, NotFound, TooManyRequests } from '../http/errors.js';
import { randomId, randomStorageKey } from '../lib/random.js';
import { claimLinkLookup, releaseLinkLookup } from './link-throttle.js';
import { collectLinkHash, looksLikeCollectLink } from './links.js';
import { currentNotice, type Notice } from './notice.js';
import * as repo from './repo.js';

/**
 * The employee's side of a request (issue 18 §2). The link is the only
 * credential, so every step starts by resolving it, and every way a link can
 * be wrong — unknown, used, expired, revoked, of a closed company, not even
 * link-shaped — ends in the same NotFound as any unknown URL. Each lookup is
 * first claimed from the address's guessing budget (link-throttle.ts).
 *
 * Nothing here ever sees a number: the browser encrypts the form and the
 * images to the office key, and the server only checks that what arrives is
 * an OpenPGP message to that key before storing it.
 */
export interface OpenRequest {
  id: string;
  companyId: string;
  companyName: string;
  personName: string;
  acknowledged: boolean;
  noticeVersion: number | null;
  expiresAt: string;
  /** Why the office sent the last submission back, if it did (numbers already removed). */
  returnReason: string | null;
}

type Row = NonNullable<Awaited<ReturnType<typeof repo.requestByLinkHash>>>;

async function resolve(deps: Deps, ip: string, link: unknown, accept: (row: Row) => boolean = (r) => r.status === 'requested'): Promise<Row> {
  if (!looksLikeCollectLink(link)) throw new NotFound();
  const now = deps.clock.now();
  if (!(await claimLinkLookup(deps.db, ip, now))) throw new TooManyRequests('collect.errors.tooManyTries');
  const row = await repo.requestByLinkHash(deps.db, collectLinkHash(link));
  const live = row && row.company_status === 'active' && row.expires_at > now.toISOString() && accept(row);
  if (!live) throw new NotFound();
  await releaseLinkLookup(deps.db, ip);
  return row;
}

const view = (r: Row): OpenRequest => ({
  id: r.id, companyId: r.company_id, companyName: r.company_name, personName: r.person_name,
  acknowledged: r.acknowledged_at !== null, noticeVersion: r.notice_version, expiresAt: r.expires_at, returnReason: r.return_reason,
});

/** Opening the link: the first opening is audited; the notice comes with it. */
export async function openLink(deps: Deps, acting: (companyId: string) => Acting, ip: string, link: unknown): Promise<{ request: OpenRequest; notice: Notice }> {
  const row = await resolve(deps, ip, link);
  if (!row.opened_at) {
    const at = deps.clock.now().toISOString();
    await deps.db.transaction().execute(async (trx) => {
      const first = await trx.updateTable('collect_requests').set({ opened_at: at, updated_at: at }).where('id', '=', row.id).where('opened_at', 'is', null).executeTakeFirst();
      if (Number(first.numUpdatedRows) === 1) await record(trx, acting(row.company_id), { action: 'collect.opened', companyId: row.company_id, targetIds: [row.id] });
    });
  }
  return { request: view(row), notice: await currentNotice(deps, row.company_id) };
}

/** The employee read the notice: its version and the time are kept with the request. */
export async function acknowledgeNotice(deps: Deps, acting: (companyId: string) => Acting, ip: string, link: unknown, version: number): Promise<void> {
  const row = await resolve(deps, ip, link);
  const notice = await currentNotice(deps, row.company_id);
  // The office may have changed the text while the page was open: then the employee must read the new one.
  if (notice.version !== version) throw new BadRequest('collect.errors.noticeChanged');
  const at = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.moveRequest(trx, row.id, 'requested', { notice_version: version, acknowledged_at: at, updated_at: at }))) throw new NotFound();
    await record(trx, acting(row.company_id), { action: 'collect.acknowledged', companyId: row.company_id, targetIds: [row.id], details: { noticeVersion: version } });
  });
}

/** Text a person typed, kept without anything that could be a number (runs of digits), whatever its check digit. */
export function withoutDigitRuns(text: string): string {
  return text.normalize('NFKC').replace(/\d[\d\s\-‐－ー]{2,}\d|\d{2,}/g, '＊');
}

export async function decline(deps: Deps, acting: (companyId: string) => Acting, ip: string, link: unknown, reason: string): Promise<void> {
  const row = await resolve(deps, ip, link);
  const at = deps.clock.now().toISOString();
  const kept = withoutDigitRuns(reason).slice(0, limits.collect.reasonMaxChars);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.moveRequest(trx, row.id, 'requested', { status: 'declined', declined_at: at, decline_reason: kept, updated_at: at }))) throw new NotFound();
    // The reason itself stays in the request row for the office; the trail says only that there was one.
    await record(trx, acting(row.company_id), { action: 'collect.declined', companyId: row.company_id, targetIds: [row.id], details: { reasonGiven: kept.length > 0 } });
  });
}

/**
 * Stores one encrypted submission. Refused unless the notice was acknowledged
 * and the body is a binary OpenPGP message to the office key (so nothing
 * typed in the clear can be stored by accident or on purpose). The answer is
 * given only after the object is stored and the row committed; the same
 * `clientRef` again (a retry after a lost answer) gets the same answer.
 */
export type AdmittedLink = Row;

/**
 * The link of a submission, checked (under the guessing brake) before a byte
 * of the body is read: a wrong link is refused at once, so no one can make the
 * server take in a whole submission (up to 64 MiB) per guess. A sent submission's link stays admitted, for
 * the retry with the same attempt id.
 */
export function admitSubmission(deps: Deps, ip: string, link: unknown): Promise<AdmittedLink> {
  return resolve(deps, ip, link, (r) => r.status === 'requested' || r.status === 'submitted');
}

export async function submit(deps: Deps, acting: (companyId: string) => Acting, row: AdmittedLink, body: Buffer | null, clientRef: string | null): Promise<{ submissionId: string; sha256: string }> {
  if (!body || !clientRef) throw new BadRequest('collect.errors.badSubmission');
  if (row.status === 'submitted') {
    const same = await deps.db.selectFrom('collect_submissions').select(['id', 'sha256', 'client_ref']).where('request_id', '=', row.id).where('client_ref', '=', clientRef).executeTakeFirst();
    if (!same) throw new NotFound();
    return { submissionId: same.id, sha256: same.sha256 };
  }
  if (!row.acknowledged_at) throw new BadRequest('collect.errors.noticeFirst');
  if (body.length === 0) throw new BadRequest('collect.errors.empty');
  if (body.length > limits.collect.maxSubmissionBytes) throw new BadRequest('collect.errors.tooLarge');
  const head = body.subarray(0, 64 * 1024);
  if (looksArmored(head) || sniffOpenPgp(head, await officeRecipient(deps.db)) !== 'office') throw new BadRequest('collect.errors.notEncrypted');
  const id = randomId();
  const storedKey = randomStorageKey('c');
  const sha256 = createHash('sha256').update(body).digest('hex');
  await deps.storage.drops.put(storedKey, Readable.from([body]));
  const at = deps.clock.now().toISOString();
  try {
    await deps.db.transaction().execute(async (trx) => {
      if (!(await repo.moveRequest(trx, row.id, 'requested', { status: 'submitted', submitted_at: at, updated_at: at }))) throw new NotFound();
      await trx.insertInto('collect_submissions').values({ id, request_id: row.id, company_id: row.company_id, client_ref: clientRef, stored_key: storedKey, size: body.length, sha256, state: 'received', created_at: at, updated_at: at }).execute();
      await record(trx, acting(row.company_id), { action: 'collect.submitted', companyId: row.company_id, targetIds: [row.id, id], details: { bytes: body.length } });
    });
  } catch (err) {
    // Not acknowledged, so not kept: the object goes, the employee may send again.
    await deps.storage.drops.delete(storedKey).catch(() => undefined);
    throw err;
  }
  // The office hears of it as of any drop: the room and a count, nothing else (noteArrival never rejects).
  await noteArrival(deps, { companyId: row.company_id, dropIds: [id] });
  return { submissionId: id, sha256 };
}
