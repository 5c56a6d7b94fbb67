import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The handling ledger's queries (issue 16 §2). The 台帳 part counts rows of
 * the tables that hold a company's 特定個人情報ファイル; the 記録 part reads
 * the audit trail of one company in pages by seq (keyset on the
 * `audit_company (company_id, seq)` index), so a 100,000-entry history is
 * read 1,000 rows at a time and never sits in memory. None of these run in
 * a transaction: on SQLite they go to the read-only connection and never
 * wait behind an upload or an ingest commit. Ids, counts, names of office
 * users and codes only — no table read here holds a number (P3).
 */
type Db = Kysely<Database>;

export const LEDGER_PAGE = 1000;

export async function liveDataKeys(db: Db, companyId: string): Promise<number> {
  const r = await db.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('company_id', '=', companyId).where('destroyed_at', 'is', null).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The services the office contracted with the company, and the documents each produces that carry a number. */
export async function servicesOf(db: Db, companyId: string) {
  const services = await db
    .selectFrom('company_services as cs')
    .innerJoin('retention_services as s', 's.id', 'cs.service_id')
    .select(['s.id', 's.name_ja', 's.name_en'])
    .where('cs.company_id', '=', companyId)
    .orderBy('s.position')
    .execute();
  const documents = services.length
    ? await db
        .selectFrom('retention_service_documents as sd')
        .innerJoin('retention_document_types as d', 'd.id', 'sd.document_type_id')
        .select(['d.id', 'd.name_ja', 'd.name_en', 'd.years', 'd.anchor', 'd.confirmed', 'd.basis'])
        .where('sd.service_id', 'in', services.map((s) => s.id))
        .distinct()
        .orderBy('d.id')
        .execute()
    : [];
  const contract = await db.selectFrom('company_contracts').select('ended_on').where('company_id', '=', companyId).executeTakeFirst();
  return { services, documents, contractEndedOn: contract?.ended_on ?? null };
}

/** Active directors (事務取扱責任者) and active key holders (事務取扱担当者: only they can open a number). */
export async function handlers(db: Db) {
  return db
    .selectFrom('users')
    .select(['id', 'display_name', 'role', 'key_holder'])
    .where('role', 'in', ['director', 'staff'])
    .where('status', '=', 'active')
    .orderBy('role')
    .orderBy('display_name')
    .execute();
}

/** Drops received and not yet destroyed (取り込み前, or ingested with the original about to go). */
export async function dropsInFlight(db: Db, companyId: string) {
  const r = await db
    .selectFrom('drops')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('company_id', '=', companyId)
    .where('state', 'in', ['received', 'ingested'])
    .executeTakeFirst();
  return { count: Number(r?.n ?? 0), oldest: (r?.oldest as string | null) ?? null };
}

/** Employees' submissions (issue 18) kept until confirmed or returned and destroyed. */
export async function submissionsInFlight(db: Db, companyId: string) {
  const r = await db
    .selectFrom('collect_submissions')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('company_id', '=', companyId)
    .where('state', '!=', 'disposed')
    .executeTakeFirst();
  return { count: Number(r?.n ?? 0), oldest: (r?.oldest as string | null) ?? null };
}

/** Sealed bundles not yet destroyed, with numbers and without, and their expiry range. */
export async function liveBundles(db: Db, companyId: string) {
  return db
    .selectFrom('bundles')
    .select(['numbered', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('expires_at').as('first'), (eb) => eb.fn.max('expires_at').as('last')])
    .where('company_id', '=', companyId)
    .where('state', '!=', 'disposed')
    .groupBy('numbered')
    .execute();
}

export async function headSeq(db: Db): Promise<number> {
  const h = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
  return h ? Number(h.seq) : 0;
}

export interface EntryQuery {
  companyId: string;
  actions: readonly string[];
  fromAt: string;
  toAt: string;
  upTo: number;
}

/** One page of the company's entries after `afterSeq`, oldest first. */
export async function entryPage(db: Db, q: EntryQuery, afterSeq: number, limit = LEDGER_PAGE) {
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'at', 'actor_id', 'actor_role', 'action', 'target_ids', 'purpose', 'result', 'details'])
    .where('company_id', '=', q.companyId)
    .where('seq', '>', afterSeq)
    .where('seq', '<=', q.upTo)
    .where('action', 'in', [...q.actions])
    .where('at', '>=', q.fromAt)
    .where('at', '<', q.toAt)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

export type EntryRow = Awaited<ReturnType<typeof entryPage>>[number];

/** Trail entries counted per query of entryCounts: a count is one synchronous statement on SQLite, so it is done in windows. */
export const COUNT_WINDOW = 20_000;

/** The same entries with seq in (afterSeq, afterSeq + COUNT_WINDOW], counted by action and result (the summary, the CSV's count line). */
export async function entryCounts(db: Db, q: EntryQuery, afterSeq: number) {
  return db
    .selectFrom('audit_log')
    .select(['action', 'result', (eb) => eb.fn.countAll<number>().as('n')])
    .where('company_id', '=', q.companyId)
    .where('seq', '>', afterSeq)
    .where('seq', '<=', Math.min(q.upTo, afterSeq + COUNT_WINDOW))
    .where('action', 'in', [...q.actions])
    .where('at', '>=', q.fromAt)
    .where('at', '<', q.toAt)
    .groupBy(['action', 'result'])
    .execute();
}

export async function userNames(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', [...ids]).execute();
}

/** Disposal records of these subjects (drops, submissions, bundles, batches) of the company. */
export async function disposalsOf(db: Db, companyId: string, subjectIds: readonly string[]) {
  if (subjectIds.length === 0) return [];
  return db
    .selectFrom('disposals')
    .select(['id', 'subject_id', 'method', 'verified_at'])
    .where('company_id', '=', companyId)
    .where('subject_id', 'in', [...subjectIds])
    .execute();
}

/** 廃棄証明書 of these disposal batches (the client's copy and the office's). */
export async function certificatesOf(db: Db, companyId: string, batchIds: readonly string[]) {
  if (batchIds.length === 0) return [];
  return db.selectFrom('disposal_certificates').select(['id', 'batch_id', 'copy']).where('company_id', '=', companyId).where('batch_id', 'in', [...batchIds]).orderBy('copy').execute();
}

/** How many people each bundle carries (bundle_persons, as sealed). */
export async function bundlePersonCounts(db: Db, bundleIds: readonly string[]) {
  if (bundleIds.length === 0) return [];
  return db
    .selectFrom('bundle_persons')
    .select(['bundle_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('bundle_id', 'in', [...bundleIds])
    .groupBy('bundle_id')
    .execute();
}
