import type { Acting } from '../accounts/acting.js';
import type { Deps } from '../deps.js';
import { DisposalNotVerified } from '../disposal/errors.js';
import { disposeImagesOfPersons } from '../collect/person-images.js';
import { dispose } from '../disposal/service.js';
import { AppError } from '../lib/app-error.js';
import { failpoint } from '../failpoints.js';
import { attemptDecrypt, checkpointAfterDisposal, destroyDataKeys, ingestCohort, keysOnlyFor, markDisposed, purgeRetiredRecords } from '../vault/index.js';

/**
 * Carrying out an approved disposal batch (issue 14 §5, P5, P9). Each step is
 * durable before the next starts, and the batch row says how far it got, so
 * a kill -9 anywhere resumes from the state it left (resumeDisposalBatches at
 * start-up, or the batch page's retry):
 *
 *   approved ──1──▶ keys-destroyed ──2,3,4──▶ done ──5──▶ (log checkpointed)
 *
 *  1. ONE transaction: the data keys nobody outside the batch still needs
 *     lose their only stored form (crypto-erase); the method is fixed —
 *     crypto-erase only when every person's key went, otherwise the records
 *     are plainly deleted (purge) and the certificate says so.
 *  1b. the identity images kept for these employees (collect/person-images.ts:
 *     a card's back shows the number) are destroyed, each with its own
 *     disposal record (`collect-images-person-disposed`, naming the batch);
 *  2. server/disposal/ deletes every record object (all versions, delete
 *     markers, remnants) and verifies by listing;
 *  3. a decrypt attempt that must fail (no key material, no readable record);
 *  4. ONE transaction: the disposal record, the persons 廃棄済, the batch
 *     done, and the batch's one audit entry (`retention.disposal`);
 *  5. SQLite's log is checkpointed and truncated, so no log page keeps a
 *     wrapped key.
 * A step that fails (a bucket refusing a delete) leaves the batch where it
 * was, nothing recorded; the retry repeats it.
 */
export async function runBatch(deps: Deps, batchId: string, by: Acting | null): Promise<'done' | 'waiting'> {
  const batch = await deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
  if (batch.state === 'awaiting-confirmation') return 'waiting';
  const persons = await deps.db.selectFrom('disposal_batch_persons').selectAll().where('batch_id', '=', batchId).orderBy('person_id').execute();
  const personIds = persons.map((p) => p.person_id);

  if (batch.state === 'approved') {
    // A reseal's replaced records must be gone first: under a key that stays live they would outlive the erase.
    if ((await purgeRetiredRecords(deps, batch.company_id)) > 0) {
      deps.logger.error({ batchId }, 'disposal batch: records replaced by a reseal could not be deleted yet; nothing destroyed');
      throw new DisposalNotVerified('retention.batch.errors.deleteRefused');
    }
    const at = deps.clock.now().toISOString();
    await deps.db.transaction().execute(async (trx) => {
      const keyIds = await keysOnlyFor(trx, personIds, persons.map((p) => p.data_key_id), ingestCohort(deps.clock.now()));
      const all = persons.every((p) => keyIds.includes(p.data_key_id));
      await destroyDataKeys(trx, keyIds, at);
      await trx
        .updateTable('disposal_batches')
        .set({ state: 'keys-destroyed', method: all ? 'crypto-erase' : 'purge', key_ids: keyIds.join(' '), keys_destroyed_at: keyIds.length > 0 ? at : null })
        .where('id', '=', batchId)
        .where('state', '=', 'approved')
        .execute();
    });
    failpoint('disposal.after-key-destroy');
  }

  const now = await deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
  if (now.state === 'keys-destroyed') {
    const keyIds = now.key_ids ? now.key_ids.split(' ') : [];
    let decryptFailedAt = '';
    const byWhom = { userId: by?.userId ?? null, role: by?.role ?? 'system', requestId: by?.requestId ?? undefined };
    try {
      // Before the records: a kept picture of a card shows the number, and must not outlive its disposal (a retry finds only what is left).
      await disposeImagesOfPersons(deps, personIds, byWhom, { batch: batchId });
      failpoint('disposal.after-images');
      await dispose(deps, {
        subject: { kind: 'cohort', id: batchId },
        companyId: now.company_id,
        reason: now.reason_code,
        objects: persons.map((p) => ({ location: 'vault' as const, key: p.token, sha256: null, size: null })),
        by: byWhom,
        audit: {
          action: 'retention.disposal',
          purpose: '保存期間の終了による廃棄',
          targetIds: [batchId, ...personIds],
          details: {
            batch: batchId, persons: personIds.length, method: now.method ?? 'purge', dataKeys: keyIds.length, keys: keyIds.join(' '),
            reason: now.reason_code, approvedBy: now.approved_by, confirmedBy: now.confirmed_by ?? '',
          },
        },
        notVerifiedMessage: 'retention.batch.errors.notVerified',
        failpoints: { afterDelete: 'disposal.after-object-delete', afterRecord: 'disposal.after-record' },
        beforeRecord: async () => {
          await attemptDecrypt(deps, { keyIds, tokens: persons.map((p) => p.token) }).catch((err: unknown) => {
            deps.logger.error({ batchId, err: (err as Error).message }, 'disposal batch: the decrypt attempt did not fail; nothing recorded');
            throw new DisposalNotVerified('retention.batch.errors.notVerified');
          });
          decryptFailedAt = deps.clock.now().toISOString();
        },
        within: async (trx, verifiedAt) => {
          const upd = await trx
            .updateTable('disposal_batches')
            .set({ state: 'done', decrypt_failed_at: decryptFailedAt || verifiedAt, done_at: verifiedAt })
            .where('id', '=', batchId)
            .where('state', '=', 'keys-destroyed')
            .executeTakeFirst();
          if (Number(upd.numUpdatedRows) !== 1) return false;
          await markDisposed(trx, personIds);
          return true;
        },
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      // a store that refuses the delete (S3 AccessDenied, a network error): nothing recorded, the batch stays where it was
      deps.logger.error({ batchId, err: (err as Error).name }, 'disposal batch: a delete was refused; nothing recorded');
      throw new DisposalNotVerified('retention.batch.errors.deleteRefused');
    }
  }
  const checkpoint = await checkpointAfterDisposal(deps);
  if (checkpoint === 'busy') deps.logger.warn({ batchId }, 'log checkpoint after disposal was busy; the background checkpoint truncates it later');
  return 'done';
}

/**
 * Start-up: the records reseals replaced that a crash (or a refusing store)
 * left are deleted, then every approved batch a crash left unfinished is
 * carried on (by kinko itself: no user).
 */
export async function resumeDisposalBatches(deps: Deps): Promise<number> {
  const retiredLeft = await purgeRetiredRecords(deps).catch(() => -1);
  if (retiredLeft !== 0) deps.logger.warn({ retiredLeft }, 'records replaced by a reseal are not all deleted yet; the next reseal or disposal batch retries');
  const open = await deps.db.selectFrom('disposal_batches').select('id').where('state', 'in', ['approved', 'keys-destroyed']).execute();
  let n = 0;
  for (const b of open) {
    try {
      await runBatch(deps, b.id, null);
      n++;
    } catch (err) {
      deps.logger.error({ batchId: b.id, err: (err as Error).name }, 'disposal batch not finished; retry from its page');
    }
  }
  deps.logger.info({ resumed: n, open: open.length }, 'disposal recovery finished');
  return n;
}
