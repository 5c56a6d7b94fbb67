import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Where SQLite and PostgreSQL differ, in one place: everything else in kinko
 * is written once for both (see transaction.ts and schema.ts for the rules).
 */
type Db = Kysely<Database> | Transaction<Database>;

/** Whether this connection speaks PostgreSQL (asked of the Kysely adapter, not a class name). */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * A row lock for the rest of the transaction: FOR UPDATE on PostgreSQL; on
 * SQLite nothing, because it lets one writer at a time in already.
 */
export function lockedForUpdate<DB, TB extends keyof DB, O>(db: Db, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return isPostgres(db) ? query.forUpdate() : query;
}

/** `column` is one of `values`, passed as one parameter however many there are. */
export function oneOfValues(db: Db, column: string, values: readonly string[]): RawBuilder<boolean> {
  const col = sql.ref(column);
  return isPostgres(db) ? sql<boolean>`${col} = any(${values}::text[])` : sql<boolean>`${col} in (select value from json_each(${JSON.stringify(values)}))`;
}
