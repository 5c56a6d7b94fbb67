import { appendAudit, auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { DisposalNotVerified } from './errors.js';
import { insertDisposal } from './disposal-repo.js';
import * as repo from './repo.js';

/** What the disposal record says was done: delete through the adapter, which removes every version and temp copy. */
export const DISPOSAL_METHOD = 'storage-delete-all-versions';

/**
 * Destroys the original of a committed ingest (P5: honest disposal).
 *
 * Runs only for a job in `committed` — the vault records and persons rows are
 * durable before the original goes. Steps, each safe to repeat after a crash:
 *  1. delete the stored ciphertext through the adapter (every version,
 *     delete marker, pending upload, temp file — the adapter's contract);
 *  2. verify: `remnants()` lists nothing and `head` answers not-found;
 *  3. ONE transaction: the disposal record (exactly what was done and
 *     checked — no "overwritten N times"), drop → disposed, job → done, and
 *     the audit entry.
 * If verification fails nothing is recorded: the job stays `committed` and
 * recovery tries again. Returns false when there was nothing (left) to do.
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

  const store = deps.storage.drops;
  await store.delete(drop.storedKey);
  failpoint('ingest.after-drop-delete');

  const remnants = await store.remnants(drop.storedKey);
  const headGone = await store.head(drop.storedKey).then(
    () => false,
    (e: unknown) => {
      if (e instanceof StorageNotFoundError) return true;
      throw e;
    },
  );
  if (remnants.length > 0 || !headGone) {
    deps.logger.error({ jobId, dropId: drop.id, remnants: remnants.length, headGone }, 'original still present after delete; disposal not recorded');
    throw new DisposalNotVerified();
  }
  const verifiedAt = deps.clock.now().toISOString();

  const recorded = await deps.db.transaction().execute(async (trx) => {
    // Another process (recovery, a second click) may have finished it meanwhile: then there is nothing to record.
    if (!(await repo.markDone(trx, job.id, verifiedAt))) return false;
    await insertDisposal(trx, {
      dropId: drop.id,
      companyId: drop.companyId,
      sha256: drop.sha256,
      size: drop.size,
      method: DISPOSAL_METHOD,
      backend: store.kind,
      verifiedAt,
      byUser: by.userId,
      createdAt: verifiedAt,
    });
    if (!(await repo.moveDrop(trx, drop.id, 'ingested', 'disposed', verifiedAt))) throw new Error('drop not in state ingested at disposal');
    await appendAudit(trx, auditContext(deps), {
      action: 'drop.destroy',
      actorId: by.userId,
      actorRole: by.role ?? 'system',
      companyId: drop.companyId,
      targetIds: [drop.id],
      purpose: '取り込み後の原本廃棄',
      requestId: by.requestId ?? null,
      details: { method: DISPOSAL_METHOD, backend: store.kind, size: drop.size, verified: true },
    });
    return true;
  });
  if (!recorded) return false;
  failpoint('ingest.after-disposal-record');
  deps.logger.info({ jobId, dropId: drop.id, backend: store.kind, requestId: by.requestId }, 'original destroyed and verified');
  return true;
}
