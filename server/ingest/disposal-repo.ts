import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** Disposal records of destroyed originals: what was verified gone, how, by whom. Never a number (P3). */
type Db = Kysely<Database> | Transaction<Database>;

export interface DisposalRecord {
  dropId: string;
  companyId: string;
  sha256: string;
  size: number;
  method: string;
  backend: string;
  verifiedAt: string;
  byUser: string | null;
  byUserName: string | null;
  createdAt: string;
}

export async function insertDisposal(db: Db, d: Omit<DisposalRecord, 'byUserName'>): Promise<void> {
  await db
    .insertInto('drop_disposals')
    .values({
      drop_id: d.dropId, company_id: d.companyId, sha256: d.sha256, size: d.size, method: d.method,
      backend: d.backend, verified_at: d.verifiedAt, by_user: d.byUser, created_at: d.createdAt,
    })
    .execute();
}

export async function findDisposal(db: Db, dropId: string): Promise<DisposalRecord | null> {
  const r = await db
    .selectFrom('drop_disposals as x')
    .leftJoin('users as u', 'u.id', 'x.by_user')
    .select(['x.drop_id', 'x.company_id', 'x.sha256', 'x.size', 'x.method', 'x.backend', 'x.verified_at', 'x.by_user', 'u.display_name', 'x.created_at'])
    .where('x.drop_id', '=', dropId)
    .executeTakeFirst();
  if (!r) return null;
  return {
    dropId: r.drop_id, companyId: r.company_id, sha256: r.sha256, size: Number(r.size), method: r.method, backend: r.backend,
    verifiedAt: r.verified_at, byUser: r.by_user, byUserName: r.display_name ?? null, createdAt: r.created_at,
  };
}
