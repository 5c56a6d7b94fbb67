import crypto from 'node:crypto';
import { markKept, storeKeptImages } from '../../server/collect/kept-images.js';
import type { Deps } from '../../server/deps.js';
import { insertDisposal } from '../../server/disposal/repo.js';
import { randomId } from '../../server/lib/random.js';

/**
 * Collection rows (issue 18) as a confirmation or an employee's phone leaves
 * them, written straight into the tables for suites that read them (breach
 * scoping, retention) rather than drive the phone page: a request, a
 * submission in a given state (a destroyed one with its disposal record,
 * whose reason says whether it had been confirmed or sent back), and a kept
 * identity image set — stored for real, encrypted to the office key, as the
 * confirmation stores it.
 */
export async function collectRequest(deps: Deps, companyId: string, requestedBy: string, name = '提出 太郎'): Promise<string> {
  const id = randomId();
  const now = deps.clock.now().toISOString();
  await deps.db.insertInto('collect_requests').values({
    id, company_id: companyId, person_name: name, employee_code: null, email: null, delivery: 'slip', status: 'requested', link_hash: crypto.randomBytes(32).toString('hex'),
    expires_at: new Date(deps.clock.now().getTime() + 14 * 86_400_000).toISOString(), links_issued: 1, opened_at: null, notice_version: null, acknowledged_at: null,
    submitted_at: null, declined_at: null, decline_reason: null, return_reason: null, requested_by: requestedBy, created_at: now, updated_at: now,
  }).execute();
  return id;
}

export type SubmissionEnd = 'received' | 'returned' | 'confirmed' | 'disposed-confirmed' | 'disposed-returned';

/** A submission created now; `end` as it is left (a `disposed-*` one is destroyed now, with its record). */
export async function collectSubmission(deps: Deps, companyId: string, requestId: string, end: SubmissionEnd = 'received'): Promise<string> {
  const id = randomId();
  const now = deps.clock.now().toISOString();
  const state = end.startsWith('disposed') ? 'disposed' : end;
  await deps.db.insertInto('collect_submissions').values({
    id, request_id: requestId, company_id: companyId, client_ref: randomId(), stored_key: `c${randomId()}`, size: 1000, sha256: '0'.repeat(64), state, created_at: now, updated_at: now, return_mailed_at: null,
  }).execute();
  if (state === 'disposed') {
    await insertDisposal(deps.db, {
      id: randomId(16), companyId, subject: { kind: 'drop', id }, reason: end === 'disposed-confirmed' ? 'collect-confirmed' : 'collect-returned', method: 'storage-delete-all-versions',
      verification: 'remnants-empty-and-head-not-found', verifiedAt: now, byUser: null, createdAt: now, objects: [],
    });
  }
  return id;
}

/** Moves a submission on now (a later confirmation, return or destruction). */
export async function moveSubmission(deps: Deps, id: string, end: SubmissionEnd): Promise<void> {
  const now = deps.clock.now().toISOString();
  const sub = await deps.db.selectFrom('collect_submissions').select('company_id').where('id', '=', id).executeTakeFirstOrThrow();
  await deps.db.updateTable('collect_submissions').set({ state: end.startsWith('disposed') ? 'disposed' : end, updated_at: now }).where('id', '=', id).execute();
  if (end.startsWith('disposed')) {
    await insertDisposal(deps.db, {
      id: randomId(16), companyId: sub.company_id, subject: { kind: 'drop', id }, reason: end === 'disposed-confirmed' ? 'collect-confirmed' : 'collect-returned', method: 'storage-delete-all-versions',
      verification: 'remnants-empty-and-head-not-found', verifiedAt: now, byUser: null, createdAt: now, objects: [],
    });
  }
}

/** A confirmed submission (destroyed) whose card images are kept `days` days for `personId` (the employee), stored as the confirmation stores them. */
export async function keptImagesFor(deps: Deps, companyId: string, requestedBy: string, personId: string | null, opts: { days?: number; kept?: boolean } = {}) {
  const requestId = await collectRequest(deps, companyId, requestedBy);
  const submissionId = await collectSubmission(deps, companyId, requestId, opts.kept === false ? 'received' : 'disposed-confirmed');
  const picture = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(200)]).toString('base64');
  const images = [{ role: 'cardFront' as const, type: 'image/jpeg' as const, data: picture }, { role: 'cardBack' as const, type: 'image/jpeg' as const, data: picture }];
  const row = await storeKeptImages(deps, { id: submissionId, request_id: requestId, company_id: companyId }, { kind: 'card', images }, personId);
  if (opts.kept !== false) await deps.db.transaction().execute((trx) => markKept(trx, row.id, deps.clock.now(), opts.days ?? 30));
  return { id: row.id, storedKey: row.stored_key, submissionId, requestId };
}
