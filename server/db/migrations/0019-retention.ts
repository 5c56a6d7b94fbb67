import { sql, type Kysely } from 'kysely';
import { DEFAULT_DOCUMENT_TYPES, DEFAULT_SERVICES } from '../../retention/catalog.js';

/**
 * Retention as data (issue 14 §2): the document types that carry a number
 * and their periods, the office's services and the documents each produces,
 * the services contracted per client company, the contract's end, and per
 * held person the dates that end the need for the number (退職, 扶養から外れた)
 * with a hold (保留) or a booked disposal (削除予約). Seeded from
 * retention/catalog.ts once; from then on the office corrects the rows, and
 * later releases of kinko never overwrite them.
 *
 * No number and no name here (P3): person rows are keyed by the person id.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('retention_document_types')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name_ja', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('years', 'integer') // null: no period known, shown as unknown
    .addColumn('anchor', 'text', (c) => c.notNull().check(sql`anchor in ('completion', 'after-tax-year')`))
    .addColumn('carries', 'text', (c) => c.notNull().check(sql`carries in ('employee', 'family')`))
    .addColumn('confirmed', 'integer', (c) => c.notNull())
    .addColumn('basis', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .addColumn('updated_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema
    .createTable('retention_services')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name_ja', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('retention_service_documents')
    .addColumn('service_id', 'text', (c) => c.notNull().references('retention_services.id'))
    .addColumn('document_type_id', 'text', (c) => c.notNull().references('retention_document_types.id'))
    .addPrimaryKeyConstraint('retention_service_documents_pk', ['service_id', 'document_type_id'])
    .execute();
  await db.schema
    .createTable('company_services')
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('service_id', 'text', (c) => c.notNull().references('retention_services.id'))
    .addColumn('set_at', 'text', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.references('users.id'))
    .addPrimaryKeyConstraint('company_services_pk', ['company_id', 'service_id'])
    .execute();
  await db.schema
    .createTable('company_contracts')
    .addColumn('company_id', 'text', (c) => c.primaryKey().references('companies.id'))
    .addColumn('ended_on', 'text') // YYYY-MM-DD (Japan's calendar); null: the contract runs
    .addColumn('set_at', 'text', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema
    .createTable('person_retention')
    .addColumn('person_id', 'text', (c) => c.primaryKey().references('persons.id'))
    .addColumn('left_on', 'text') // 退職日 (for the employee's row)
    .addColumn('left_household_on', 'text') // 扶養から外れた日 (a spouse's or dependent's row)
    .addColumn('reported_by', 'text', (c) => c.references('users.id'))
    .addColumn('reported_at', 'text')
    .addColumn('hold_reason', 'text')
    .addColumn('hold_by', 'text', (c) => c.references('users.id'))
    .addColumn('hold_at', 'text')
    .addColumn('reserved_on', 'text')
    .addColumn('reserved_by', 'text', (c) => c.references('users.id'))
    .addColumn('reserved_at', 'text')
    .execute();

  for (const d of DEFAULT_DOCUMENT_TYPES) {
    await db
      .insertInto('retention_document_types')
      .values({ id: d.id, name_ja: d.nameJa, name_en: d.nameEn, years: d.years, anchor: d.anchor, carries: d.carries, confirmed: d.confirmed ? 1 : 0, basis: d.basis })
      .execute();
  }
  for (const [position, s] of DEFAULT_SERVICES.entries()) {
    await db.insertInto('retention_services').values({ id: s.id, name_ja: s.nameJa, name_en: s.nameEn, position }).execute();
    for (const doc of s.documents) await db.insertInto('retention_service_documents').values({ service_id: s.id, document_type_id: doc }).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['person_retention', 'company_contracts', 'company_services', 'retention_service_documents', 'retention_services', 'retention_document_types']) {
    await db.schema.dropTable(t).execute();
  }
}
