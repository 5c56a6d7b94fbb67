import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AuditLogTable } from '../db/tables/audit.js';
import type { AuditFilter } from './filter.js';

/** The filter with the actor's login ID already turned into an id. */
export type ResolvedFilter = Omit<AuditFilter, 'actor'> & { actorId?: string };

/** One entry as the console and the export show it, with names joined in. */
export type AuditListRow = Omit<AuditLogTable, 'prev_hash' | 'mac' | 'result'> & {
  result: string;
  actor_name: string | null;
  actor_login: string | null;
  company_name: string | null;
};

function matches(f: ResolvedFilter, extra?: { before?: number; upTo?: number }) {
  return (eb: ExpressionBuilder<Database, 'audit_log'>) => {
    const c: Expression<SqlBool>[] = [];
    if (f.action !== undefined) {
      // substr instead of LIKE: no wildcard escaping, and the same case rules on both dialects.
      c.push(
        f.actionPrefix
          ? eb(sql<string>`substr(audit_log.action, 1, ${sql.lit([...f.action].length)})`, '=', f.action)
          : eb('audit_log.action', '=', f.action),
      );
    }
    if (f.companyId !== undefined) c.push(eb('audit_log.company_id', '=', f.companyId));
    if (f.actorId !== undefined) c.push(eb('audit_log.actor_id', '=', f.actorId));
    if (f.fromAt !== undefined) c.push(eb('audit_log.at', '>=', f.fromAt));
    if (f.toAt !== undefined) c.push(eb('audit_log.at', '<', f.toAt));
    if (f.result !== undefined) c.push(eb('audit_log.result', '=', f.result));
    if (extra?.before !== undefined) c.push(eb('audit_log.seq', '<', extra.before));
    if (extra?.upTo !== undefined) c.push(eb('audit_log.seq', '<=', extra.upTo));
    return eb.and(c);
  };
}

/** Newest first, keyset-paged by seq (`before`), names joined for display. */
export async function listEntries(
  db: Kysely<Database>,
  f: ResolvedFilter,
  page: { before?: number; upTo?: number; limit: number },
): Promise<AuditListRow[]> {
  const rows = await db
    .selectFrom('audit_log')
    .where(matches(f, page))
    .leftJoin('users', 'users.id', 'audit_log.actor_id')
    .leftJoin('companies', 'companies.id', 'audit_log.company_id')
    .select([
      'audit_log.seq', 'audit_log.at', 'audit_log.actor_id', 'audit_log.actor_role', 'audit_log.company_id',
      'audit_log.action', 'audit_log.target_ids', 'audit_log.purpose', 'audit_log.result', 'audit_log.request_id',
      'audit_log.details', 'users.display_name as actor_name', 'users.login_id as actor_login', 'companies.name as company_name',
    ])
    .orderBy('audit_log.seq', 'desc')
    .limit(page.limit)
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** The matching entries up to `upTo`, newest first, one page at a time (for the streamed export). */
export async function* entryPages(db: Kysely<Database>, f: ResolvedFilter, upTo: number, pageSize = 500): AsyncGenerator<AuditListRow[]> {
  let before: number | undefined;
  for (;;) {
    const page = await listEntries(db, f, { before, upTo, limit: pageSize });
    if (page.length) yield page;
    if (page.length < pageSize) return;
    before = page[page.length - 1]!.seq;
  }
}

export async function countEntries(db: Kysely<Database>, f: ResolvedFilter, upTo: number): Promise<number> {
  const { n } = await db
    .selectFrom('audit_log')
    .where(matches(f, { upTo }))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** A login ID typed into the filter; otherwise the text is taken as a raw actor id. */
export async function actorIdFor(db: Kysely<Database>, actor: string): Promise<string> {
  const user = await db.selectFrom('users').select('id').where('login_id', '=', actor).executeTakeFirst();
  return user?.id ?? actor;
}

export async function companyChoices(db: Kysely<Database>): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('companies').select(['id', 'name']).orderBy('name').orderBy('id').execute();
}

/** Actions seen so far, for the filter's suggestions (an index-only scan of audit_action). */
export async function actionChoices(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('action').distinct().orderBy('action').limit(500).execute();
  return rows.map((r) => r.action);
}
