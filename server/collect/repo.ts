import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CollectNoticesTable, CollectRequestsTable } from '../db/tables/collect.js';

type Db = Kysely<Database> | Transaction<Database>;

export type CollectRequestRow = CollectRequestsTable;

export async function insertRequests(trx: Db, rows: CollectRequestRow[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('collect_requests').values(rows).execute();
}

/** A company's requests, newest first (what the room and the company page list). */
export function requestsOfCompany(db: Db, companyId: string): Promise<CollectRequestRow[]> {
  return db.selectFrom('collect_requests').selectAll().where('company_id', '=', companyId).orderBy('created_at', 'desc').orderBy('id').execute();
}

export function requestOfCompany(db: Db, companyId: string, id: string): Promise<CollectRequestRow | undefined> {
  return db.selectFrom('collect_requests').selectAll().where('company_id', '=', companyId).where('id', '=', id).executeTakeFirst();
}

/** The request behind a link hash, with its company's state (a suspended company's links are dead too). */
export function requestByLinkHash(db: Db, linkHash: string) {
  return db
    .selectFrom('collect_requests')
    .innerJoin('companies', 'companies.id', 'collect_requests.company_id')
    .selectAll('collect_requests')
    .select(['companies.name as company_name', 'companies.status as company_status'])
    .where('collect_requests.link_hash', '=', linkHash)
    .executeTakeFirst();
}

/** Moves a request on only from the state the caller saw (two tabs, or a replayed post, change it once). */
export async function moveRequest(trx: Db, id: string, from: string, change: Partial<CollectRequestRow>): Promise<boolean> {
  const res = await trx.updateTable('collect_requests').set(change).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function latestNotice(db: Db, companyId: string) {
  return db.selectFrom('collect_notices').selectAll().where('company_id', '=', companyId).orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export async function insertNotice(trx: Db, row: CollectNoticesTable): Promise<void> {
  await trx.insertInto('collect_notices').values(row).execute();
}
