import type { Kysely } from 'kysely';

/**
 * Delivery of the sealed bundles (issue 15 §5–6): every download, by whom and
 * from where (the room, the office, the in-browser open), shown on the
 * bundle's page — the audit trail holds the same, this table is its index —
 * and who marked a bundle 提出済 and when its object was destroyed; and the
 * payer's 法人番号 and 連絡者 that the bundles print.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bundle_downloads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bundle_id', 'text', (c) => c.notNull().references('bundles.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('ip_class', 'text')
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  // Whose numbers each numbered bundle carries (ids only): breach scoping asks who was in what a stolen account downloaded.
  await db.schema
    .createTable('bundle_persons')
    .addColumn('bundle_id', 'text', (c) => c.notNull().references('bundles.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
    .addPrimaryKeyConstraint('bundle_persons_pk', ['bundle_id', 'person_id'])
    .execute();
  await db.schema.createIndex('bundle_downloads_bundle').on('bundle_downloads').columns(['bundle_id', 'at']).execute();
  // The payer's facts the bundles print (col 94 and the 総括表's 連絡者). A 法人番号 is public, not 特定個人情報;
  // a sole proprietor's 個人番号 is never stored here (the column stays blank for them).
  await db.schema
    .createTable('company_bundle_settings')
    .addColumn('company_id', 'text', (c) => c.primaryKey().references('companies.id'))
    .addColumn('corporate_number', 'text')
    .addColumn('payer_address', 'text')
    .addColumn('contact_name', 'text')
    .addColumn('contact_phone', 'text')
    .addColumn('updated_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('bundles').addColumn('submitted_by', 'text').execute();
  // A returned collection submission: when the employee's new link was mailed. Unset after a crash = send it again (collect/arrival-service.ts).
  await db.schema.alterTable('collect_submissions').addColumn('return_mailed_at', 'text').execute();
  await db.schema.alterTable('bundles').addColumn('submitted_at', 'text').execute();
  await db.schema.alterTable('bundles').addColumn('disposed_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ['disposed_at', 'submitted_at', 'submitted_by']) await db.schema.alterTable('bundles').dropColumn(c).execute();
  await db.schema.alterTable('collect_submissions').dropColumn('return_mailed_at').execute();
  await db.schema.dropTable('bundle_downloads').execute();
  await db.schema.dropTable('bundle_persons').execute();
  await db.schema.dropTable('company_bundle_settings').execute();
}
