import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The one query of migration 0013 (issue 12): a claimed attempt whose file
 * could not be read is released with the drop marked unreadable — when, why
 * (last_error) and how often — so that the next start is a deliberate
 * "read again" (start.ts). Apart from repo.ts, which is long already.
 */
/** Releases a claimed attempt whose file could not be read, marking the drop unreadable with its reason (migration 0013). */
export async function releaseUnreadable(db: Db, j: { id: string; attempt: number }, now: string, reason: string): Promise<boolean> {
  const r = await db
    .updateTable('ingest_jobs')
    .set((eb) => ({ state: 'released', updated_at: now, last_error: reason, unreadable_at: now, unreadable_count: eb('unreadable_count', '+', 1) }))
    .where('id', '=', j.id)
    .where('attempt', '=', j.attempt)
    .where('state', '=', 'claimed')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
