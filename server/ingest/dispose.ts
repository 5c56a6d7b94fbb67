import type { Deps } from '../deps.js';
import { DELETE_ALL_VERSIONS, dispose } from '../disposal/service.js';
import { markDisposed } from '../drops/repo.js';
import * as repo from './repo.js';

/**
 * Destroys the original of a committed ingest (P5: honest disposal) through
 * the one disposal routine (server/disposal/service.ts: delete every version,
 * verify by listing, record only what was verified).
 *
 * Runs only for a job in `committed` — the vault records and persons rows are
 * durable before the original goes. In the record's transaction: job → done
 * and drop → disposed. If verification fails nothing is recorded: the job
 * stays `committed` and recovery tries again. Returns false when there was
 * nothing (left) to do.
 */
export async function destroyOriginal(
  deps: Deps,
  jobId: string,
  by: { userId: string | null; role: string | null; requestId?: string },
): Promise<boolean> {
  const job = await repo.findJob(deps.db, jobId);
  if (!job || job.state !== 'committed') return false;
  const drop = await repo.findOfficeDrop(deps.db, job.dropId);
  if (!drop) return false;

  const backend = deps.storage.drops.kind;
  const done = await dispose(deps, {
    subject: { kind: 'drop', id: drop.id },
    companyId: drop.companyId,
    reason: 'ingested',
    objects: [{ location: 'drops', key: drop.storedKey, sha256: drop.sha256, size: drop.size }],
    by,
    audit: {
      action: 'drop.destroy',
      purpose: '取り込み後の原本廃棄',
      targetIds: [drop.id],
      details: { method: DELETE_ALL_VERSIONS, backend, size: drop.size, verified: true },
    },
    notVerifiedMessage: 'ingestFlow.errors.disposalNotVerified',
    failpoints: { afterDelete: 'ingest.after-drop-delete', afterRecord: 'ingest.after-disposal-record' },
    async within(trx, verifiedAt) {
      // Another process (recovery, a second click) may have finished it meanwhile: then there is nothing to record.
      if (!(await repo.markDone(trx, job.id, verifiedAt))) return false;
      if (!(await markDisposed(trx, drop.id, verifiedAt))) throw new Error('drop not in state ingested at disposal');
      return true;
    },
  });
  if (done) deps.logger.info({ jobId, dropId: drop.id, backend, requestId: by.requestId }, 'original destroyed and verified');
  return done;
}
