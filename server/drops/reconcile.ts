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
 * uploads) are swept by sweepInterruptedPuts below, at start-up and by the
 * `drops:sweep` command.
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

/**
 * A temp file nobody has written to for this long belongs to no running
 * upload: a put appends continuously, so only a killed process (or a client
 * stalled for an hour, whose upload then fails and is retried — never a lost
 * receipt) leaves one this old. Several instances may share the location; the
 * age rule is what keeps one from taking another's upload in progress.
 */
export const TEMP_IDLE_MS = 60 * 60_000;

/** What killed uploads left in either location (issue 12 item 7). */
export async function sweepInterruptedPuts(
  locations: ReadonlyArray<StorageAdapter>,
  opts: { now: Date; olderThanMs?: number },
): Promise<SweepResult> {
  const total = { checked: 0, removed: 0 };
  for (const storage of locations) {
    const r = await storage.sweepTemp({ olderThanMs: opts.olderThanMs ?? TEMP_IDLE_MS, now: opts.now.getTime() });
    total.checked += r.checked;
    total.removed += r.removed;
  }
  return total;
}
