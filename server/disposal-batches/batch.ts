import type * as openpgp from 'openpgp';
import type { Acting } from '../accounts/acting.js';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { BadRequest, Conflict, Forbidden, NotFound } from '../http/errors.js';
import { unlockOfficeKey } from '../keys/office-key.js';
import { randomId } from '../lib/random.js';
import { reserveForDisposal } from '../vault/index.js';
import { runBatch } from './batch-run.js';
import { issueCertificates } from './certificate-issue.js';
import { japanToday } from '../retention/calendar.js';
import { retentionOfCompany } from '../retention/repo.js';

/**
 * Approving a disposal batch (issue 14 §5): the director picks people whose
 * retention has ended, gives a reason from the list (plus their own words),
 * and proves they hold the office key with its passphrase (the policy asked
 * for a fresh TOTP). When the office has another key holder, that person
 * confirms before anything is destroyed (4-eyes); otherwise kinko runs it at
 * once. Refused whole, nothing half-done: a person of another company (404,
 * as a random id), one not yet due, one on hold, one already in a batch.
 */
export const BATCH_REASONS = ['retention-ended', 'need-ended', 'contract-ended', 'other'] as const;
export type BatchReason = (typeof BATCH_REASONS)[number];

export interface ApproveInput {
  companyId: string;
  personIds: string[];
  reasonCode: string;
  reasonText: string;
  passphrase: string;
}

export interface BatchOutcome {
  batchId: string;
  state: 'awaiting-confirmation' | 'done';
  /** false when the batch is done but its certificate could not be issued yet (issue it from the batch page) */
  certified: boolean;
}

function checkedReason(code: string, text: string): { code: BatchReason; text: string } {
  if (!(BATCH_REASONS as readonly string[]).includes(code)) throw new BadRequest('retention.batch.errors.reason');
  const t = text.trim();
  if (t.length > 400 || (code === 'other' && t.length === 0)) throw new BadRequest('retention.batch.errors.reasonText');
  return { code: code as BatchReason, text: t };
}

/** Another key holder than `userId` who can confirm (an active account with a usable copy). */
async function otherKeyHolders(deps: Pick<Deps, 'db'>, userId: string): Promise<number> {
  const rows = await deps.db
    .selectFrom('key_copies')
    .innerJoin('users', 'users.id', 'key_copies.user_id')
    .select('key_copies.user_id')
    .where('key_copies.user_id', '!=', userId)
    .where('key_copies.must_change', '=', 0)
    .where('users.status', '=', 'active')
    .execute();
  return rows.length;
}

export async function approveBatch(deps: Deps, acting: Acting, input: ApproveInput): Promise<BatchOutcome> {
  if (acting.role !== 'director') throw new Forbidden();
  const reason = checkedReason(input.reasonCode, input.reasonText);
  const personIds = [...new Set(input.personIds)];
  if (personIds.length === 0) throw new BadRequest('retention.batch.errors.nobody');
  const officeKey = await unlockOfficeKey(deps, acting.userId, input.passphrase, { form: 'other' });
  const needsConfirmation = (await otherKeyHolders(deps, acting.userId)) > 0;
  const batchId = randomId(16);
  const today = japanToday(deps.clock.now());
  await deps.db.transaction().execute(async (trx) => {
    const company = await trx.selectFrom('companies').select('id').where('id', '=', input.companyId).executeTakeFirst();
    if (!company) throw new NotFound();
    const views = new Map((await retentionOfCompany(trx, input.companyId)).map((v) => [v.personId, v]));
    const reserved = await reserveForDisposal(trx, input.companyId, personIds);
    if (!Array.isArray(reserved)) {
      if (reserved.notFound.length > 0) throw new NotFound(); // another company's person answers like a random id (P7)
      throw new Conflict('retention.batch.errors.alreadyInBatch');
    }
    for (const id of personIds) {
      const r = views.get(id)?.retention;
      if (!r) throw new Conflict('retention.batch.errors.alreadyInBatch');
      if (r.hold) throw new BadRequest('retention.batch.errors.onHold');
      if (r.state !== 'scheduled' || r.from > today) throw new BadRequest('retention.batch.errors.notDue');
    }
    const now = deps.clock.now().toISOString();
    await trx
      .insertInto('disposal_batches')
      .values({
        id: batchId, company_id: input.companyId, state: needsConfirmation ? 'awaiting-confirmation' : 'approved', reason_code: reason.code, reason_text: reason.text,
        approved_by: acting.userId, approved_at: now, confirmed_by: null, confirmed_at: null, method: null, key_ids: '', keys_destroyed_at: null, decrypt_failed_at: null, done_at: null,
      })
      .execute();
    // 500 rows per statement: SQLite takes at most 32,766 parameters in one (a cohort may be 25,000 people)
    for (let i = 0; i < reserved.length; i += 500) {
      await trx.insertInto('disposal_batch_persons').values(reserved.slice(i, i + 500).map((p) => ({ batch_id: batchId, person_id: p.personId, token: p.token, data_key_id: p.dataKeyId }))).execute();
    }
  });
  failpoint('disposal.after-approve');
  if (needsConfirmation) return { batchId, state: 'awaiting-confirmation', certified: false };
  return finish(deps, batchId, acting, officeKey);
}

/** The second key holder's confirmation: someone other than the approver, proving their copy with its passphrase. */
export async function confirmBatch(deps: Deps, acting: Acting, input: { batchId: string; passphrase: string }): Promise<BatchOutcome> {
  if (acting.role !== 'staff' && acting.role !== 'director') throw new NotFound();
  const batch = await deps.db.selectFrom('disposal_batches').select(['id', 'state', 'approved_by']).where('id', '=', input.batchId).executeTakeFirst();
  if (!batch) throw new NotFound();
  if (batch.state !== 'awaiting-confirmation') throw new Conflict('retention.batch.errors.alreadyConfirmed');
  if (batch.approved_by === acting.userId) throw new Forbidden('retention.batch.errors.confirmSelf');
  const officeKey = await unlockOfficeKey(deps, acting.userId, input.passphrase, { form: 'other' });
  const now = deps.clock.now().toISOString();
  const upd = await deps.db
    .updateTable('disposal_batches')
    .set({ state: 'approved', confirmed_by: acting.userId, confirmed_at: now })
    .where('id', '=', input.batchId)
    .where('state', '=', 'awaiting-confirmation')
    .executeTakeFirst();
  if (Number(upd.numUpdatedRows) !== 1) throw new Conflict('retention.batch.errors.alreadyConfirmed');
  return finish(deps, input.batchId, acting, officeKey);
}

/** Runs (or resumes) a batch and, once it is done, issues its certificates with the key just unlocked. */
async function finish(deps: Deps, batchId: string, acting: Acting, officeKey: openpgp.PrivateKey): Promise<BatchOutcome> {
  await runBatch(deps, batchId, acting);
  const certified = await issueCertificates(deps, batchId, acting, officeKey).then(
    () => true,
    (err: unknown) => {
      deps.logger.error({ batchId, err: (err as Error).name }, 'disposal done, certificate not issued; issue it from the batch page');
      return false;
    },
  );
  return { batchId, state: 'done', certified };
}

/**
 * The batch page's "carry on": a batch a crash or a refusing bucket left
 * unfinished is run again from where it stopped, and a done batch without its
 * certificates (a crash came between) gets them, signed with the key the
 * director unlocks here.
 */
export async function finishBatch(deps: Deps, acting: Acting, input: { batchId: string; passphrase: string }): Promise<BatchOutcome> {
  if (acting.role !== 'director') throw new Forbidden();
  const batch = await deps.db.selectFrom('disposal_batches').select('state').where('id', '=', input.batchId).executeTakeFirst();
  if (!batch) throw new NotFound();
  if (batch.state === 'awaiting-confirmation') throw new Conflict('retention.batch.errors.notConfirmed');
  const officeKey = await unlockOfficeKey(deps, acting.userId, input.passphrase, { form: 'other' });
  return finish(deps, input.batchId, acting, officeKey);
}
