import { sql, type Kysely } from 'kysely';

/**
 * Sealed year-end bundles (issue 15 §4–6) and the client's own OpenPGP key
 * to seal them to. A bundle row describes one OpenPGP message in the
 * `bundles` storage location — destination, 年分, counts, size and SHA-256 of
 * the ciphertext, how it is sealed, when it expires — and its manifest (file
 * names, sizes and hashes, counts: never a number, P3). The stored object is
 * destroyed through the disposal routine; the row and its manifest stay.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bundles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('drop_id', 'text', (c) => c.notNull().references('year_end_drops.drop_id'))
    .addColumn('nenbun', 'integer', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull().check(sql`destination in ('tax-office', 'municipal', 'self-copy')`))
    .addColumn('municipality_code', 'text')
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('numbered', 'integer', (c) => c.notNull())
    .addColumn('stored_key', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('sealed_to', 'text', (c) => c.notNull().check(sql`sealed_to in ('client-key', 'passphrase')`))
    .addColumn('recipient_fingerprint', 'text')
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('built_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bundles_company').on('bundles').columns(['company_id', 'nenbun']).execute();
  await db.schema
    .createTable('company_client_keys')
    .addColumn('company_id', 'text', (c) => c.primaryKey().references('companies.id'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('registered_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('registered_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('company_client_keys').execute();
  await db.schema.dropTable('bundles').execute();
}
