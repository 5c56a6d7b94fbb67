import type { Kysely } from 'kysely';

/**
 * The custody report's own facts (issue 16 §1): the office's safeguards as
 * the director maintains them (基本方針, 取扱規程 summary, where data is
 * hosted — one row for the office), each client's 許諾 of each 再委託先
 * (番号法10条; the provider as configured when the client approved, so a
 * move to another provider shows as not yet approved), and the signed
 * reports the office issued (PDF and CSV with detached OpenPGP signatures by
 * the office key, as the disposal certificates are). No number anywhere (P3).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('office_safeguards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('basic_policy', 'text', (c) => c.notNull())
    .addColumn('handling_rules', 'text', (c) => c.notNull())
    .addColumn('hosting', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('subcontract_approvals')
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('what', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('approved_on', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subcontract_approvals_pk', ['company_id', 'what'])
    .execute();
  await db.schema
    .createTable('custody_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('period_from', 'text', (c) => c.notNull())
    .addColumn('period_to', 'text', (c) => c.notNull())
    .addColumn('pdf_base64', 'text', (c) => c.notNull())
    .addColumn('pdf_signature', 'text', (c) => c.notNull())
    .addColumn('csv_text', 'text', (c) => c.notNull())
    .addColumn('csv_signature', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('custody_reports_company').on('custody_reports').columns(['company_id', 'issued_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('custody_reports').execute();
  await db.schema.dropTable('subcontract_approvals').execute();
  await db.schema.dropTable('office_safeguards').execute();
}
