import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { HeldPerson, Resolution } from './match.js';

/**
 * Queries of the year-end input (migration 0023). The persons are read as
 * retention reads them: names, codes and relations only — the vault's
 * numbers stay behind server/vault/index.ts. Nothing here holds a number (P3).
 */
export type Db = Kysely<Database> | Transaction<Database>;

export interface YearEndMark {
  dropId: string;
  companyId: string;
  nenbun: number;
  markedBy: string;
  markedAt: string;
}

export async function markDrop(db: Db, m: YearEndMark): Promise<void> {
  await db
    .insertInto('year_end_drops')
    .values({ drop_id: m.dropId, company_id: m.companyId, nenbun: m.nenbun, marked_by: m.markedBy, marked_at: m.markedAt })
    .onConflict((oc) => oc.column('drop_id').doUpdateSet({ nenbun: m.nenbun, marked_by: m.markedBy, marked_at: m.markedAt }))
    .execute();
}

export async function findMark(db: Db, dropId: string): Promise<YearEndMark | null> {
  const r = await db.selectFrom('year_end_drops').selectAll().where('drop_id', '=', dropId).executeTakeFirst();
  return r ? { dropId: r.drop_id, companyId: r.company_id, nenbun: Number(r.nenbun), markedBy: r.marked_by, markedAt: r.marked_at } : null;
}

/** Every person the company has or had in the vault (disposed ones too: "held without a number"). */
export async function companyPersons(db: Db, companyId: string): Promise<Array<HeldPerson & { numberIndex: string }>> {
  const rows = await db
    .selectFrom('persons')
    .select(['id', 'name', 'furigana', 'employee_code', 'relation', 'employee_person_id', 'state', 'number_index'])
    .where('company_id', '=', companyId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    furigana: r.furigana,
    employeeCode: r.employee_code,
    relation: r.relation,
    employeePersonId: r.employee_person_id,
    state: r.state,
    numberIndex: r.number_index,
  }));
}

/** Employee codes held as 本人 by any other company (to name a row of another company's person as such). */
export async function codesHeldElsewhere(db: Db, companyId: string, codes: readonly string[]): Promise<Array<{ code: string; name: string }>> {
  if (codes.length === 0) return [];
  const out: Array<{ code: string; name: string }> = [];
  for (let i = 0; i < codes.length; i += 500) {
    const rows = await db
      .selectFrom('persons')
      .select(['employee_code', 'name'])
      .where('company_id', '!=', companyId)
      .where('relation', '=', '本人')
      .where('employee_code', 'in', codes.slice(i, i + 500))
      .execute();
    for (const r of rows) if (r.employee_code) out.push({ code: r.employee_code, name: r.name });
  }
  return out;
}

export async function listResolutions(db: Db, dropId: string): Promise<Resolution[]> {
  const rows = await db.selectFrom('year_end_resolutions').selectAll().where('drop_id', '=', dropId).execute();
  return rows.map((r) => ({ line: Number(r.line), subject: r.subject, action: r.action, personId: r.person_id, note: r.note }));
}

export async function saveResolution(db: Db, r: Resolution & { dropId: string; decidedBy: string; decidedAt: string }): Promise<void> {
  const values = { action: r.action, person_id: r.personId, note: r.note, decided_by: r.decidedBy, decided_at: r.decidedAt };
  await db
    .insertInto('year_end_resolutions')
    .values({ drop_id: r.dropId, line: r.line, subject: r.subject, ...values })
    .onConflict((oc) => oc.columns(['drop_id', 'line', 'subject']).doUpdateSet(values))
    .execute();
}

/** The newest marks first, with the company's name and the drop's file name and state (for the office list). */
export async function listMarks(db: Db, limit: number) {
  return db
    .selectFrom('year_end_drops')
    .innerJoin('drops', 'drops.id', 'year_end_drops.drop_id')
    .innerJoin('companies', 'companies.id', 'year_end_drops.company_id')
    .select(['year_end_drops.drop_id as dropId', 'year_end_drops.nenbun', 'year_end_drops.marked_at as markedAt', 'companies.name as companyName', 'drops.file_name as fileName', 'drops.state'])
    .orderBy('year_end_drops.marked_at', 'desc')
    .limit(limit)
    .execute();
}
