import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The facts breach scoping reads: audit entries, person rows (ids, company,
 * blind index, relation — never a name or a number), drops and data keys.
 * Everything large is read in pages, so a scope over years of history never
 * holds the whole trail in memory.
 */
const PAGE = 1000;
export const IN_CHUNK = 500;

export interface ScopeEntry {
  seq: number;
  at: string;
  action: string;
  company_id: string | null;
  target_ids: string;
}

/** Successful entries of `actions` by `actorId` with from ≤ at < to, oldest first, a page at a time. */
export async function* actorEntries(
  db: Kysely<Database>,
  f: { actorId: string; actions: readonly string[]; from: string; to: string },
): AsyncGenerator<ScopeEntry[]> {
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .select(['seq', 'at', 'action', 'company_id', 'target_ids'])
      .where('actor_id', '=', f.actorId)
      .where('action', 'in', [...f.actions])
      .where('result', '=', 'ok')
      .where('at', '>=', f.from)
      .where('at', '<', f.to)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.seq;
  }
}

/** How many successful entries of `action` an actor has in the window. */
export async function countActorEntries(db: Kysely<Database>, f: { actorId: string; action: string; from: string; to: string; result?: 'ok' | 'denied' }): Promise<number> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('actor_id', '=', f.actorId)
    .where('action', '=', f.action)
    .where('result', '=', f.result ?? 'ok')
    .where('at', '>=', f.from)
    .where('at', '<', f.to)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface ScopePerson {
  id: string;
  company_id: string;
  number_index: string;
  relation: string;
}

/** The person rows of these ids (any state: a person revealed then disposed was still exposed). */
export async function personsByIds(db: Kysely<Database>, ids: readonly string[]): Promise<ScopePerson[]> {
  const out: ScopePerson[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    const chunk = ids.slice(i, i + IN_CHUNK);
    out.push(...(await db.selectFrom('persons').select(['id', 'company_id', 'number_index', 'relation']).where('id', 'in', chunk).execute()));
  }
  return out;
}

/**
 * Persons whose vault record is still readable with a live data key, a page at
 * a time: optionally one company, optionally only those created by `createdBy`
 * (a backup's date) and whose key was not destroyed before it.
 */
export async function* vaultPersons(db: Kysely<Database>, f: { companyId?: string; asOf?: string }): AsyncGenerator<ScopePerson[]> {
  let after = '';
  for (;;) {
    let q = db
      .selectFrom('persons')
      .innerJoin('data_keys', 'data_keys.id', 'persons.data_key_id')
      .select(['persons.id', 'persons.company_id', 'persons.number_index', 'persons.relation'])
      .where('persons.id', '>', after);
    if (f.companyId) q = q.where('persons.company_id', '=', f.companyId);
    if (f.asOf) {
      const asOf = f.asOf;
      q = q.where('persons.created_at', '<=', asOf).where((eb) => eb.or([eb('data_keys.destroyed_at', 'is', null), eb('data_keys.destroyed_at', '>', asOf)]));
    } else {
      q = q.where('persons.state', '=', 'held').where('data_keys.destroyed_at', 'is', null);
    }
    const page = await q.orderBy('persons.id').limit(PAGE).execute();
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.id;
  }
}

/** Drops whose ciphertext is still in the drops location: received (not read yet) and ingested (original not yet destroyed). */
export async function dropsInBucket(db: Kysely<Database>, f: { companyId?: string; asOf?: string }): Promise<Array<{ id: string; company_id: string; state: string }>> {
  let q = db.selectFrom('drops').select(['id', 'company_id', 'state']);
  if (f.companyId) q = q.where('company_id', '=', f.companyId);
  if (f.asOf) {
    const asOf = f.asOf;
    q = q.where('created_at', '<=', asOf).where((eb) => eb.or([eb('state', '!=', 'disposed'), eb('updated_at', '>', asOf)]));
  } else {
    q = q.where('state', 'in', ['received', 'ingested']);
  }
  return q.execute();
}

/** Persons read from these drops (their numbers are inside the drop's ciphertext). */
export async function personsFromDrops(db: Kysely<Database>, dropIds: readonly string[]): Promise<ScopePerson[]> {
  const out: ScopePerson[] = [];
  for (let i = 0; i < dropIds.length; i += IN_CHUNK) {
    const chunk = dropIds.slice(i, i + IN_CHUNK);
    out.push(...(await db.selectFrom('persons').select(['id', 'company_id', 'number_index', 'relation']).where('source_drop_id', 'in', chunk).execute()));
  }
  return out;
}

export async function findAccount(db: Kysely<Database>, id: string) {
  return db.selectFrom('users').select(['id', 'role', 'company_id', 'display_name', 'login_id']).where('id', '=', id).executeTakeFirst();
}

export async function accountChoices(db: Kysely<Database>) {
  return db.selectFrom('users').select(['id', 'role', 'display_name', 'login_id', 'company_id']).orderBy('role').orderBy('login_id').execute();
}

export async function companyNames(db: Kysely<Database>): Promise<Map<string, string>> {
  const rows = await db.selectFrom('companies').select(['id', 'name']).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function officeName(db: Kysely<Database>): Promise<string | null> {
  return (await db.selectFrom('office').select('name').executeTakeFirst())?.name ?? null;
}

/** The ids an audit entry names (its `target_ids` JSON); nothing for anything else. */
export function targetIds(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
