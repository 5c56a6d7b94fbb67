import { sql, type Kysely } from 'kysely';

/**
 * Drops (issue 4): one row per received file. The row is written only after
 * the ciphertext is safely stored (drops/service.ts), so a row always points
 * at an object; an object without a row is an orphan the sweep removes.
 *
 * What is here is metadata for people and for ingest: the original file name
 * (display only, never a path), the opaque storage key, size and SHA-256 of
 * the stored ciphertext. Never any content.
 *
 * `state` is text without a CHECK on purpose: ingest and disposal (later
 * issues) add their own intermediate states without rebuilding the table on
 * SQLite. Values today: received → ingested / disposed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drops')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('uploaded_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('stored_key', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('client-encrypted', 'server-encrypted')`))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('drops_company_created').on('drops').columns(['company_id', 'created_at']).execute();
  await db.schema.createIndex('drops_state').on('drops').columns(['state', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drops').execute();
}
