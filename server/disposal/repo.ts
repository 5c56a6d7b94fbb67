import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DisposalSubjectKind } from '../db/tables/disposal.js';

/** Queries for disposal records (0015). Ids, hashes, methods and times only: never a number, name or file name (P3). */
type Db = Kysely<Database> | Transaction<Database>;

export interface DisposedObject {
  /** Storage location: 'drops', 'vault' (and 'bundles' next). */
  location: string;
  backend: string;
  key: string;
  sha256: string | null;
  size: number | null;
}

export interface DisposalRecord {
  id: string;
  companyId: string;
  subject: { kind: DisposalSubjectKind; id: string };
  reason: string;
  method: string;
  verification: string;
  verifiedAt: string;
  byUser: string | null;
  createdAt: string;
  objects: DisposedObject[];
}

export async function insertDisposal(db: Db, d: DisposalRecord): Promise<void> {
  await db
    .insertInto('disposals')
    .values({
      id: d.id, company_id: d.companyId, subject_kind: d.subject.kind, subject_id: d.subject.id, reason: d.reason, method: d.method,
      verification: d.verification, verified_at: d.verifiedAt, by_user: d.byUser, created_at: d.createdAt,
    })
    .execute();
  if (d.objects.length === 0) return;
  // 500 rows per statement: SQLite takes at most 32,766 parameters in one (a cohort's records may be 25,000)
  for (let i = 0; i < d.objects.length; i += 500) {
    await db
      .insertInto('disposal_objects')
      .values(d.objects.slice(i, i + 500).map((o) => ({ disposal_id: d.id, location: o.location, backend: o.backend, object_key: o.key, sha256: o.sha256, size: o.size })))
      .execute();
  }
}

/** The record of one subject's disposal, or null while it has none. */
export async function findDisposal(db: Db, subject: { kind: DisposalSubjectKind; id: string }): Promise<DisposalRecord | null> {
  const r = await db.selectFrom('disposals').selectAll().where('subject_kind', '=', subject.kind).where('subject_id', '=', subject.id).executeTakeFirst();
  if (!r) return null;
  const objects = await db.selectFrom('disposal_objects').selectAll().where('disposal_id', '=', r.id).orderBy('location').orderBy('object_key').execute();
  return {
    id: r.id, companyId: r.company_id, subject: { kind: r.subject_kind, id: r.subject_id }, reason: r.reason, method: r.method,
    verification: r.verification, verifiedAt: r.verified_at, byUser: r.by_user, createdAt: r.created_at,
    objects: objects.map((o) => ({
      location: o.location, backend: o.backend, key: o.object_key, sha256: o.sha256, size: o.size == null ? null : Number(o.size),
    })),
  };
}
