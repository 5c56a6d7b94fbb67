import { sql, type Kysely } from 'kysely';

/**
 * Retention as data (issue 14 §2): the document types that carry a number
 * and their periods, the office's services and the documents each produces,
 * the services contracted per client company, the contract's end, and per
 * held person the dates that end the need for the number (退職, 扶養から外れた)
 * with a hold (保留) or a booked disposal (削除予約). Seeded once with the
 * rows below — a copy of retention/catalog.ts as it was when this migration
 * shipped (a test checks they agree), written out so that a later change to
 * the catalog never changes what this migration did; from then on the office
 * corrects the rows, and later releases of kinko never overwrite them.
 *
 * No number and no name here (P3): person rows are keyed by the person id.
 */
const DOCUMENT_TYPES = [
  { id: 'fuyo-shinkoku', name_ja: '扶養控除等申告書', name_en: "employee's declaration for dependants", years: 7, anchor: 'after-tax-year', carries: 'family', confirmed: 1, basis: '所得税法施行規則76条の3' },
  { id: 'koyo-hihokensha', name_ja: '雇用保険 被保険者に関する書類', name_en: 'employment insurance: papers on the insured person', years: 4, anchor: 'completion', carries: 'employee', confirmed: 1, basis: '雇用保険法施行規則143条' },
  { id: 'koyo-other', name_ja: '雇用保険 その他の書類', name_en: 'employment insurance: other papers', years: 2, anchor: 'completion', carries: 'employee', confirmed: 1, basis: '雇用保険法施行規則143条' },
  { id: 'rosai', name_ja: '労災保険 書類', name_en: "workers' accident insurance papers", years: 3, anchor: 'completion', carries: 'employee', confirmed: 1, basis: '労働者災害補償保険法施行規則51条' },
  { id: 'kenpo-kosei', name_ja: '健康保険・厚生年金保険 書類', name_en: 'health insurance and employees’ pension papers', years: 2, anchor: 'completion', carries: 'family', confirmed: 1, basis: '健康保険法施行規則34条・厚生年金保険法施行規則28条' },
  { id: 'gensen-copy', name_ja: '源泉徴収票・給与支払報告書（控）', name_en: "payer's copy of the withholding slip / salary payment report", years: 7, anchor: 'after-tax-year', carries: 'family', confirmed: 0, basis: '法令上の根拠未確認（7年とする例が多い）' },
];

const SERVICES: Array<{ id: string; name_ja: string; name_en: string; documents: string[] }> = [
  { id: 'shakai-hoken', name_ja: '社会保険（健康保険・厚生年金）', name_en: 'social insurance (health, pension)', documents: ['kenpo-kosei'] },
  { id: 'rodo-hoken', name_ja: '労働保険（雇用保険・労災保険）', name_en: 'labour insurance (employment, accident)', documents: ['koyo-hihokensha', 'koyo-other', 'rosai'] },
  { id: 'nencho', name_ja: '年末調整・源泉徴収票', name_en: 'year-end adjustment and withholding slips', documents: ['fuyo-shinkoku', 'gensen-copy'] },
  { id: 'kyuyo-hokoku', name_ja: '給与支払報告書', name_en: 'salary payment reports', documents: ['gensen-copy'] },
];

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

  await db.insertInto('retention_document_types').values(DOCUMENT_TYPES).execute();
  for (const [position, { documents, ...s }] of SERVICES.entries()) {
    await db.insertInto('retention_services').values({ ...s, position }).execute();
    await db.insertInto('retention_service_documents').values(documents.map((d) => ({ service_id: s.id, document_type_id: d }))).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['person_retention', 'company_contracts', 'company_services', 'retention_service_documents', 'retention_services', 'retention_document_types']) {
    await db.schema.dropTable(t).execute();
  }
}
