import { oneOfValues } from '../db/dialect.js';
import type { Db, PersonRow } from './repo.js';
import { turnTaker } from '../lib/turns.js';

/**
 * Held persons looked up for a whole file at once (an ingest plan): a few
 * queries of LOOKUP_CHUNK values instead of one or two per person. Each
 * chunk is ONE parameter — a JSON array on SQLite (`in (select value from
 * json_each(?))`), a text array on PostgreSQL (`= any(?)`) — so the
 * statement stays short: SQLite prepares every statement anew, and a list
 * of 500 placeholders cost more to build and parse than to run. Both still
 * search the (company_id, …) index.
 */

/** Values per statement: bounds the parameter's size (~0.3 MB of blind indexes). */
const LOOKUP_CHUNK = 5000;

/** Runs `query` over `values` (deduplicated, empties dropped) LOOKUP_CHUNK at a time and concatenates the rows. */
async function inChunks<R>(values: readonly string[], query: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const unique = [...new Set(values.filter(Boolean))];
  const out: R[] = [];
  const turn = turnTaker();
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    out.push(...(await query(unique.slice(i, i + LOOKUP_CHUNK))));
    await turn(); // SQLite answers synchronously: let other requests in between chunks
  }
  return out;
}

const heldOf = (db: Db, companyId: string) =>
  db.selectFrom('persons').selectAll().where('company_id', '=', companyId).where('state', '=', 'held');

/** `column` is one of `values`, as one parameter. */
function oneOf(db: Db, column: 'number_index' | 'employee_code', values: string[]) {
  return oneOfValues(db, column, values);
}

/**
 * findHeldByIndex for many blind indexes at once (an ingest plan). Each
 * index maps to the same row findHeldByIndex returns (the earliest held).
 */
export async function findHeldByIndexes(db: Db, companyId: string, numberIndexes: readonly string[]): Promise<Map<string, PersonRow>> {
  const rows = await inChunks(numberIndexes, (chunk) => heldOf(db, companyId).where(oneOf(db, 'number_index', chunk)).orderBy('created_at').orderBy('id').execute());
  const out = new Map<string, PersonRow>();
  for (const r of rows) if (!out.has(r.number_index)) out.set(r.number_index, r);
  return out;
}

/** Every held person of the company with one of these employee codes (for findHeldByEmployee's matching in memory). */
export async function findHeldByEmployeeCodes(db: Db, companyId: string, codes: readonly string[]): Promise<PersonRow[]> {
  return inChunks(codes, (chunk) => heldOf(db, companyId).where(oneOf(db, 'employee_code', chunk)).orderBy('created_at').orderBy('id').execute());
}
