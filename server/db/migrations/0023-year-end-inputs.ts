import { sql, type Kysely } from 'kysely';

/**
 * Year-end pay data (issue 15 §1): which drops the client marked as
 * 年末調整データ (and for which 年分), and how staff resolved the rows kinko
 * could not match on its own — linked to a held person, or 番号未提供 with a
 * note. No number here (P3): persons are named by id; a note is refused when
 * it holds a twelve-digit run (bundles/input/resolutions.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('year_end_drops')
    .addColumn('drop_id', 'text', (c) => c.primaryKey().references('drops.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('nenbun', 'integer', (c) => c.notNull())
    .addColumn('marked_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('marked_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('year_end_drops_company').on('year_end_drops').columns(['company_id', 'nenbun']).execute();
  await db.schema
    .createTable('year_end_resolutions')
    .addColumn('drop_id', 'text', (c) => c.notNull().references('year_end_drops.drop_id'))
    .addColumn('line', 'integer', (c) => c.notNull())
    // 'self' | 'spouse' | 'dependents.<i>' | 'under16.<i>'
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('link', 'not-provided')`))
    // No foreign key: disposal deletes person rows, and a resolution must never hold that up.
    .addColumn('person_id', 'text')
    .addColumn('note', 'text')
    .addColumn('decided_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('year_end_resolutions_pk', ['drop_id', 'line', 'subject'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('year_end_resolutions').execute();
  await db.schema.dropTable('year_end_drops').execute();
}
