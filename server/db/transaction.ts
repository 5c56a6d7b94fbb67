/**
 * One way to run several statements all-or-nothing, e.g. a change and the audit
 * record that describes it (style.md §6): if `fn` throws, everything it wrote
 * is rolled back and the error is rethrown.
 *
 * Rules inside `fn`, for both dialects:
 * - Use only `trx`, never the outer `db`. On SQLite there is one writer
 *   connection and the transaction holds it (db/sqlite-driver.ts): a write on
 *   the outer `db` would wait for the transaction that waits for it, forever,
 *   and a read there would not see the transaction's own writes. On
 *   PostgreSQL either would silently run outside the transaction.
 * - Do no slow non-database work (storage uploads, argon2, mail): on SQLite
 *   every other write waits for the writer until the transaction ends (reads
 *   do not). Do that work before, or after commit.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export function inTransaction<T, DB = Database>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
