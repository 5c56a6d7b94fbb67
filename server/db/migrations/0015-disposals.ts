import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Disposal records get a domain of their own (issue 13 §3): one routine,
 * server/disposal/, destroys objects, verifies by listing and records what it
 * verified — for an ingested original today, for a retention cohort and a
 * sealed bundle next. Until now the record was `drop_disposals`, created by
 * 0010-ingest, keyed by the drop.
 *
 * How the table moves without editing a shipped migration: 0010 stays as it
 * is (it still creates `drop_disposals`), and this one creates the general
 * tables, copies every `drop_disposals` row over and drops the old table. An
 * installed database (rows in it) and a fresh one (0010 then 0015, nothing to
 * copy) thus run the same two steps and end with the same schema.
 *
 * `disposals`: one record per disposed subject (unique kind + id, so a second
 * process finishing the same subject cannot record it twice). It holds ids,
 * method, reason, who and when — never a number, a name or a file name
 * (retention-and-breach.md §3). `verification` says how the absence was
 * checked; a record is only written after that check passed.
 * `disposal_objects`: each stored object the record says is gone, with the
 * location it was in, the backend, and the ciphertext's hash and size when
 * known.
 *
 * Copied rows: every `drop_disposals` row was written by ingest/dispose.ts
 * after `remnants()` listed nothing and `head` answered not-found, the check
 * named here; reason 'ingested' (original destroyed after its ingest); the
 * object key is the drop's stored key.
 */
const VERIFIED_BY_LISTING = 'remnants-empty-and-head-not-found';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('disposals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    // What was disposed of: an ingested drop's original; next a bundle, a retention cohort.
    .addColumn('subject_kind', 'text', (c) => c.notNull().check(sql`subject_kind in ('drop', 'bundle', 'cohort')`))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    // 削除理由, a code shown through i18n (e.g. 'ingested').
    .addColumn('reason', 'text', (c) => c.notNull())
    // Exactly what was done (P5): e.g. storage-delete-all-versions.
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('verification', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    // Null: finished by kinko's own recovery after a restart.
    .addColumn('by_user', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('disposals_subject', ['subject_kind', 'subject_id'])
    .execute();
  await db.schema.createIndex('disposals_company').on('disposals').columns(['company_id', 'verified_at']).execute();

  await db.schema
    .createTable('disposal_objects')
    .addColumn('disposal_id', 'text', (c) => c.notNull().references('disposals.id'))
    // Storage location (drops, vault; bundles next) and its backend (local, s3).
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('size', 'bigint')
    .addPrimaryKeyConstraint('disposal_objects_pk', ['disposal_id', 'location', 'object_key'])
    .execute();

  const old = await db
    .selectFrom('drop_disposals as x')
    .innerJoin('drops as d', 'd.id', 'x.drop_id')
    .select(['x.drop_id', 'x.company_id', 'x.sha256', 'x.size', 'x.method', 'x.backend', 'x.verified_at', 'x.by_user', 'x.created_at', 'd.stored_key'])
    .orderBy('x.created_at')
    .execute();
  for (const r of old) {
    const id = crypto.randomBytes(16).toString('base64url');
    await db
      .insertInto('disposals')
      .values({
        id, company_id: r.company_id, subject_kind: 'drop', subject_id: r.drop_id, reason: 'ingested', method: r.method,
        verification: VERIFIED_BY_LISTING, verified_at: r.verified_at, by_user: r.by_user, created_at: r.created_at,
      })
      .execute();
    await db
      .insertInto('disposal_objects')
      .values({ disposal_id: id, location: 'drops', backend: r.backend, object_key: r.stored_key, sha256: r.sha256, size: r.size })
      .execute();
  }
  await db.schema.dropTable('drop_disposals').execute();
}

/** Back to 0010's drop_disposals: drop records return there; records of other subjects cannot and are lost. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drop_disposals')
    .addColumn('drop_id', 'text', (c) => c.primaryKey().references('drops.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    .addColumn('by_user', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  const rows = await db
    .selectFrom('disposals as x')
    .innerJoin('disposal_objects as o', 'o.disposal_id', 'x.id')
    .select(['x.subject_id', 'x.company_id', 'o.sha256', 'o.size', 'x.method', 'o.backend', 'x.verified_at', 'x.by_user', 'x.created_at'])
    .where('x.subject_kind', '=', 'drop')
    .where('o.location', '=', 'drops')
    .execute();
  for (const r of rows) {
    await db
      .insertInto('drop_disposals')
      .values({
        drop_id: r.subject_id, company_id: r.company_id, sha256: r.sha256, size: r.size, method: r.method,
        backend: r.backend, verified_at: r.verified_at, by_user: r.by_user, created_at: r.created_at,
      })
      .execute();
  }
  await db.schema.dropTable('disposal_objects').execute();
  await db.schema.dropTable('disposals').execute();
}
