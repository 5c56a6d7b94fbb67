import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { StorageAdapter } from '../../storage-adapters/types.js';
import { storedKeyKnown } from './repo.js';

/**
 * The orphan sweep behind crash windows 1–2 of service.ts: an object in the
 * drops location without a drop row was never acknowledged (the process died
 * between the storage put and the database commit, or the cleanup after a
 * failed commit could not reach the storage). Nobody holds a receipt for it,
 * so it is removed — ciphertext only, but not kept without a reason.
 *
 * Only objects older than `olderThanMs` are considered, so an upload between
 * its put and its commit (milliseconds, or a slow database) is never touched.
 * Temp files of interrupted puts (local `.tmp/`, S3 incomplete multipart
 * uploads) are the adapters' own business (startup cleanup, bucket lifecycle).
 */
export const ORPHAN_AGE_MS = 60 * 60_000;

export interface SweepResult {
  checked: number;
  removed: number;
}

export async function sweepOrphanDrops(
  db: Kysely<Database>,
  storage: StorageAdapter,
  opts: { now: Date; olderThanMs?: number },
): Promise<SweepResult> {
  const cutoff = opts.now.getTime() - (opts.olderThanMs ?? ORPHAN_AGE_MS);
  let checked = 0;
  let removed = 0;
  for await (const o of storage.list()) {
    checked++;
    if (o.lastModified.getTime() > cutoff) continue;
    if (await storedKeyKnown(db, o.key)) continue;
    await storage.delete(o.key);
    removed++;
  }
  return { checked, removed };
}
