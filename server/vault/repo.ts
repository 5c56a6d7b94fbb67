import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { isPostgres } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import type { PersonsTable } from '../db/tables/vault.js';
import { checkedInsertOrder } from './person-guard.js';
import { insertPersonChunks } from './persons-insert.js';

/** Kysely queries of the vault. Plain objects out; no row here ever holds a number (P3). */
export type Db = Kysely<Database> | Transaction<Database>;

export type PersonRow = Selectable<PersonsTable>;
export type NewPersonRow = Insertable<PersonsTable>;

// ---- wrapped keys ----------------------------------------------------------

export async function findIndexKey(db: Db, companyId: string): Promise<string | null> {
  const row = await db.selectFrom('index_keys').select('wrapped_key').where('company_id', '=', companyId).executeTakeFirst();
  return row?.wrapped_key ?? null;
}

/** Inserts unless the company has one already (a concurrent ingest won): the caller reads back the winner. */
export async function insertIndexKeyIfAbsent(db: Db, row: { companyId: string; wrapped: string; now: string }): Promise<void> {
  await db
    .insertInto('index_keys')
    .values({ company_id: row.companyId, wrapped_key: row.wrapped, created_at: row.now })
    .onConflict((oc) => oc.column('company_id').doNothing())
    .execute();
}

export interface DataKeyRow {
  id: string;
  companyId: string;
  cohort: string;
  wrapped: string | null;
  destroyedAt: string | null;
}

export async function findLiveDataKey(db: Db, companyId: string, cohort: string): Promise<DataKeyRow | null> {
  const row = await db
    .selectFrom('data_keys')
    .select(['id', 'company_id', 'cohort', 'wrapped_key', 'destroyed_at'])
    .where('company_id', '=', companyId)
    .where('cohort', '=', cohort)
    .where('destroyed_at', 'is', null)
    .executeTakeFirst();
  return row ? dataKey(row) : null;
}

export async function findDataKey(db: Db, id: string): Promise<DataKeyRow | null> {
  const row = await db
    .selectFrom('data_keys')
    .select(['id', 'company_id', 'cohort', 'wrapped_key', 'destroyed_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? dataKey(row) : null;
}

function dataKey(row: { id: string; company_id: string; cohort: string; wrapped_key: string | null; destroyed_at: string | null }): DataKeyRow {
  return { id: row.id, companyId: row.company_id, cohort: row.cohort, wrapped: row.wrapped_key, destroyedAt: row.destroyed_at };
}

/** Inserts unless a live key for (company, cohort) exists (unique partial index data_keys_live). */
export async function insertDataKeyIfAbsent(db: Db, row: { id: string; companyId: string; cohort: string; wrapped: string; now: string }): Promise<void> {
  await db
    .insertInto('data_keys')
    .values({ id: row.id, company_id: row.companyId, cohort: row.cohort, wrapped_key: row.wrapped, created_at: row.now, destroyed_at: null })
    .onConflict((oc) => oc.columns(['company_id', 'cohort']).where(sql<boolean>`destroyed_at is null`).doNothing())
    .execute();
}

// ---- persons ---------------------------------------------------------------

export async function findHeldByIndex(db: Db, companyId: string, numberIndex: string): Promise<PersonRow | null> {
  const row = await db
    .selectFrom('persons')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('number_index', '=', numberIndex)
    .where('state', '=', 'held')
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Held persons of the company who look like the same person: with an
 * employee code, the same code and the same relation (本人, 配偶者, or the same
 * 扶養親族n column group), for relatives also the same name; without a code,
 * the same name and relation. The relation is part of who someone is: a
 * row's 配偶者 and 扶養親族1 under one name are two people (issue 11).
 */
export async function findHeldByEmployee(
  db: Db,
  companyId: string,
  who: { employeeCode?: string | null; name: string; relation: string },
): Promise<PersonRow[]> {
  const self = who.relation === '本人';
  let q = db.selectFrom('persons').selectAll().where('company_id', '=', companyId).where('state', '=', 'held').where('relation', '=', who.relation);
  if (who.employeeCode) {
    q = q.where('employee_code', '=', who.employeeCode);
    if (!self) q = q.where('name', '=', who.name);
  } else {
    q = q.where('name', '=', who.name);
  }
  return q.orderBy('created_at').orderBy('id').execute();
}

/**
 * Plain insert of prepared rows, checked and ordered first (person-guard.ts: no
 * number in any text field, P3), then in chunks of one JSON parameter each
 * (persons-insert.ts), in that order: employees before their dependents.
 */
export async function insertPersonRows(db: Db, rows: readonly NewPersonRow[]): Promise<void> {
  const ordered = checkedInsertOrder(rows);
  await insertPersonChunks(db, ordered, isPostgres(db));
}

export interface PersonDetail extends PersonRow {
  company_name: string;
  drop_file_name: string | null;
}

export async function findPersonDetail(db: Db, id: string): Promise<PersonDetail | null> {
  const row = await db
    .selectFrom('persons')
    .innerJoin('companies', 'companies.id', 'persons.company_id')
    .leftJoin('drops', 'drops.id', 'persons.source_drop_id')
    .selectAll('persons')
    .select(['companies.name as company_name', 'drops.file_name as drop_file_name'])
    .where('persons.id', '=', id)
    .executeTakeFirst();
  return row ?? null;
}

export async function findPerson(db: Db, id: string): Promise<PersonRow | null> {
  return (await db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function dependentsOf(db: Db, personId: string): Promise<PersonRow[]> {
  return db.selectFrom('persons').selectAll().where('employee_person_id', '=', personId).orderBy('relation').orderBy('id').execute();
}

export async function findCompany(db: Db, id: string): Promise<{ id: string; name: string } | null> {
  return (await db.selectFrom('companies').select(['id', 'name']).where('id', '=', id).executeTakeFirst()) ?? null;
}

export interface PersonListRow {
  id: string;
  name: string;
  furigana: string | null;
  employee_code: string | null;
  relation: string;
  state: string;
  source_drop_id: string | null;
  drop_file_name: string | null;
  source_sheet: string | null;
  source_row: number | null;
  number_last4: string | null;
  /** For a relative: the name of the employee (本人) of the same row. */
  employee_name: string | null;
  created_at: string;
}

/** LIKE with the wildcards of the typed text taken literally, the same on both dialects. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of a company's persons; employees with their dependents right after them. */
export async function listPersons(
  db: Db,
  companyId: string,
  opts: { q?: string; offset: number; limit: number },
): Promise<{ rows: PersonListRow[]; total: number }> {
  let base = db.selectFrom('persons').where('persons.company_id', '=', companyId);
  if (opts.q) {
    const pattern = likeContains(opts.q);
    base = base.where((eb) =>
      eb.or([
        eb(sql`persons.name`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`persons.furigana`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`persons.employee_code`, 'like', sql`${pattern} escape '\\'`),
      ]),
    );
  }
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .leftJoin('persons as emp', 'emp.id', 'persons.employee_person_id')
    .leftJoin('drops', 'drops.id', 'persons.source_drop_id')
    .select([
      'persons.id', 'persons.name', 'persons.furigana', 'persons.employee_code', 'persons.relation', 'persons.state',
      'persons.source_drop_id', 'drops.file_name as drop_file_name', 'persons.created_at',
      'persons.source_sheet', 'persons.source_row', 'persons.number_last4', 'emp.name as employee_name',
    ])
    // Group a dependent under its employee: sort by the employee's code/name first.
    .orderBy(sql`coalesce(emp.employee_code, persons.employee_code, '')`)
    .orderBy(sql`coalesce(emp.name, persons.name)`)
    .orderBy(sql`coalesce(persons.employee_person_id, persons.id)`)
    .orderBy(sql`case when persons.relation = '本人' then 0 when persons.relation = '配偶者' then 1 else 2 end`)
    .orderBy('persons.relation')
    .orderBy('persons.id')
    .offset(opts.offset)
    .limit(opts.limit)
    .execute();
  return { rows, total: Number(n) };
}

/** Which of these tokens a persons row references (any state). */
export async function referencedTokens(db: Db, tokens: readonly string[]): Promise<Set<string>> {
  if (tokens.length === 0) return new Set();
  const rows = await db.selectFrom('persons').select('token').where('token', 'in', [...tokens]).execute();
  return new Set(rows.map((r) => r.token));
}
