import type { Db, PersonRow } from './repo.js';

/**
 * Held persons looked up for a whole file at once (an ingest plan): a few
 * queries of LOOKUP_CHUNK values instead of one or two per person.
 */

/** Values per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits. */
const LOOKUP_CHUNK = 500;

/**
 * findHeldByIndex for many blind indexes at once (an ingest plan): a few
 * queries of LOOKUP_CHUNK instead of one per person. Each index maps to the
 * same row findHeldByIndex returns (the earliest held).
 */
export async function findHeldByIndexes(db: Db, companyId: string, numberIndexes: readonly string[]): Promise<Map<string, PersonRow>> {
  const out = new Map<string, PersonRow>();
  const unique = [...new Set(numberIndexes)];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .selectFrom('persons')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('state', '=', 'held')
      .where('number_index', 'in', unique.slice(i, i + LOOKUP_CHUNK))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const r of rows) if (!out.has(r.number_index)) out.set(r.number_index, r);
  }
  return out;
}

/** Every held person of the company with one of these employee codes (for findHeldByEmployee's matching in memory). */
export async function findHeldByEmployeeCodes(db: Db, companyId: string, codes: readonly string[]): Promise<PersonRow[]> {
  const out: PersonRow[] = [];
  const unique = [...new Set(codes.filter(Boolean))];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    out.push(
      ...(await db
        .selectFrom('persons')
        .selectAll()
        .where('company_id', '=', companyId)
        .where('state', '=', 'held')
        .where('employee_code', 'in', unique.slice(i, i + LOOKUP_CHUNK))
        .orderBy('created_at')
        .orderBy('id')
        .execute()),
    );
  }
  return out;
}
