/**
 * One way to run several statements all-or-nothing, e.g. a change and the audit
 * record that describes it (style.md §6): if `fn` throws, everything it wrote
 * is rolled back and the error is rethrown.
 *
 * Rules inside `fn`, for both dialects:
 * - Use only `trx`, never the outer `db`. On SQLite there is exactly one
 *   connection (better-sqlite3 is synchronous; Kysely hands it out one user
 *   at a time), and the transaction holds it: a query on the outer `db` would
 *   wait for the transaction that waits for it, forever. On PostgreSQL it
 *   would silently run outside the transaction.
 * - Do no slow non-database work (storage uploads, argon2, mail): on SQLite
 *   every other request waits for the connection until the transaction ends.
 *   Do that work before, or after commit.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export function inTransaction<T, DB = Database>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
