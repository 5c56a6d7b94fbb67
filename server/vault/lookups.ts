import type { Db, PersonRow } from './repo.js';

/**
 * Held persons looked up for a whole file at once (an ingest plan): a few
 * queries of LOOKUP_CHUNK values instead of one or two per person.
 */

/** Values per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits. */
const LOOKUP_CHUNK = 500;

/** Runs `query` over `values` (deduplicated, empties dropped) LOOKUP_CHUNK at a time and concatenates the rows. */
async function inChunks<R>(values: readonly string[], query: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const unique = [...new Set(values.filter(Boolean))];
  const out: R[] = [];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) out.push(...(await query(unique.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

const heldOf = (db: Db, companyId: string) =>
  db.selectFrom('persons').selectAll().where('company_id', '=', companyId).where('state', '=', 'held');

/**
 * findHeldByIndex for many blind indexes at once (an ingest plan). Each
 * index maps to the same row findHeldByIndex returns (the earliest held).
 */
export async function findHeldByIndexes(db: Db, companyId: string, numberIndexes: readonly string[]): Promise<Map<string, PersonRow>> {
  const rows = await inChunks(numberIndexes, (chunk) => heldOf(db, companyId).where('number_index', 'in', chunk).orderBy('created_at').orderBy('id').execute());
  const out = new Map<string, PersonRow>();
  for (const r of rows) if (!out.has(r.number_index)) out.set(r.number_index, r);
  return out;
}

/** Every held person of the company with one of these employee codes (for findHeldByEmployee's matching in memory). */
export async function findHeldByEmployeeCodes(db: Db, companyId: string, codes: readonly string[]): Promise<PersonRow[]> {
  return inChunks(codes, (chunk) => heldOf(db, companyId).where('employee_code', 'in', chunk).orderBy('created_at').orderBy('id').execute());
}
