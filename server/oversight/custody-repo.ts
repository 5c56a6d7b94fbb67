import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The facts of a custody report (委託先取扱状況報告, retention-and-breach.md
 * §6.3), counted by the database: group-by counts over one company and one
 * period, so the report never loads the trail into memory. Ids and counts
 * only; the number is not in any table read here (P3).
 */
type Period = { companyId: string; from: string; to: string };

export async function personsByRelationAndState(db: Kysely<Database>, companyId: string) {
  return db
    .selectFrom('persons')
    .select(['relation', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('company_id', '=', companyId)
    .groupBy(['relation', 'state'])
    .execute();
}

export async function dropsReceived(db: Kysely<Database>, p: Period): Promise<number> {
  const r = await db.selectFrom('drops').select((eb) => eb.fn.countAll<number>().as('n')).where('company_id', '=', p.companyId).where('created_at', '>=', p.from).where('created_at', '<', p.to).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Successful audit entries of these actions for the company in the period, grouped by action, purpose and the actor's role. */
export async function auditCounts(db: Kysely<Database>, p: Period, actions: readonly string[], result: 'ok' | 'denied' = 'ok') {
  return db
    .selectFrom('audit_log')
    .select(['action', 'purpose', 'actor_role', (eb) => eb.fn.countAll<number>().as('n')])
    .where('company_id', '=', p.companyId)
    .where('action', 'in', [...actions])
    .where('result', '=', result)
    .where('at', '>=', p.from)
    .where('at', '<', p.to)
    .groupBy(['action', 'purpose', 'actor_role'])
    .execute();
}

/** Disposal records of the company verified in the period (drops and cohorts), oldest first. */
export async function disposalsIn(db: Kysely<Database>, p: Period) {
  return db
    .selectFrom('disposals')
    .select(['id', 'subject_kind', 'reason', 'method', 'verification', 'verified_at'])
    .select((eb) => eb.selectFrom('disposal_objects').select((e2) => e2.fn.countAll<number>().as('n')).whereRef('disposal_objects.disposal_id', '=', 'disposals.id').as('objects'))
    .where('company_id', '=', p.companyId)
    .where('verified_at', '>=', p.from)
    .where('verified_at', '<', p.to)
    .orderBy('verified_at')
    .execute();
}

/** Active staff and directors by role and whether they hold the office key (a key holder is a designated 事務取扱担当者). */
export async function handlers(db: Kysely<Database>) {
  return db
    .selectFrom('users')
    .select(['role', 'key_holder', (eb) => eb.fn.countAll<number>().as('n')])
    .where('role', 'in', ['staff', 'director'])
    .where('status', '=', 'active')
    .groupBy(['role', 'key_holder'])
    .execute();
}

export async function company(db: Kysely<Database>, id: string) {
  return db.selectFrom('companies').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}
