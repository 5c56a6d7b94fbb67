import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { BundlesTable } from '../../db/tables/year-end.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Queries of delivery (migration 0028): which bundles a company sees, their downloads, 提出済 and disposal. No number in any of them (P3). */
export type BundleRow = Selectable<BundlesTable>;

export async function bundleById(db: Db, id: string): Promise<BundleRow | undefined> {
  return db.selectFrom('bundles').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function bundlesOfCompany(db: Db, companyId: string): Promise<BundleRow[]> {
  return db.selectFrom('bundles').selectAll().where('company_id', '=', companyId).orderBy('created_at', 'desc').orderBy('destination').orderBy('municipality_code').limit(500).execute();
}

export async function bundlesOfDrop(db: Db, dropId: string): Promise<BundleRow[]> {
  return db.selectFrom('bundles').selectAll().where('drop_id', '=', dropId).orderBy('created_at', 'desc').orderBy('destination').orderBy('municipality_code').execute();
}

export interface DownloadRow {
  id: string;
  bundleId: string;
  companyId: string;
  userId: string;
  role: string;
  ipClass: string | null;
  via: 'room' | 'office' | 'browser-open';
  at: string;
}

export async function insertDownload(db: Db, d: DownloadRow): Promise<void> {
  await db
    .insertInto('bundle_downloads')
    .values({ id: d.id, bundle_id: d.bundleId, company_id: d.companyId, user_id: d.userId, role: d.role, ip_class: d.ipClass, via: d.via, at: d.at })
    .execute();
}

export async function downloadsOf(db: Db, bundleId: string) {
  return db
    .selectFrom('bundle_downloads as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(['d.id', 'd.role', 'd.ip_class', 'd.via', 'd.at', 'u.display_name', 'u.login_id'])
    .where('d.bundle_id', '=', bundleId)
    .orderBy('d.at', 'desc')
    .execute();
}

/** 提出済: only a bundle still sealed; false when it was marked or destroyed meanwhile. */
export async function markSubmitted(db: Db, id: string, by: string, at: string): Promise<boolean> {
  const r = await db.updateTable('bundles').set({ state: 'submitted', submitted_by: by, submitted_at: at, updated_at: at }).where('id', '=', id).where('state', '=', 'sealed').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function markDisposed(db: Db, id: string, at: string): Promise<boolean> {
  const r = await db.updateTable('bundles').set({ state: 'disposed', disposed_at: at, updated_at: at }).where('id', '=', id).where('state', '!=', 'disposed').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Bundles whose object must go now: marked 提出済, or past their expiry. */
export async function dueForDisposal(db: Db, nowIso: string, limit = 200): Promise<BundleRow[]> {
  return db
    .selectFrom('bundles')
    .selectAll()
    .where('state', '!=', 'disposed')
    .where((eb) => eb.or([eb('state', '=', 'submitted'), eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', nowIso)])]))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}
