import { sql, type Kysely } from 'kysely';

/**
 * Ingest (issue 5): the job that turns one drop into vault records, the rows
 * held back for review, and the record that the original was destroyed.
 *
 * Nothing here holds a My Number (P3): the job row carries ids, states,
 * counts and times; a review row carries where the value was (sheet, row),
 * why it was held back and the name it belongs to — never the value, not even
 * masked. The parse result with the numbers lives only in the memory of the
 * process that parsed it (server/ingest/preview-cache.ts).
 *
 * `ingest_jobs` has one row per drop (unique drop_id). Starting an ingest is a
 * conditional UPDATE of that row (state released → claimed), so of two staff
 * pressing "start" at once exactly one changes a row; the other reads who has
 * it. States: released → claimed → previewing → committing → committed → done;
 * any of claimed/previewing/committing falls back to released when the ingest
 * is abandoned or its process died (reconcile.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ingest_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('drop_id', 'text', (c) => c.notNull().unique().references('drops.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('released', 'claimed', 'previewing', 'committing', 'committed', 'done')`),
    )
    // Bumped by every claim: a preview or confirm of an earlier attempt is stale.
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text', (c) => c.references('users.id'))
    .addColumn('claimed_at', 'text')
    // Random id of the process holding the preview in memory (one per start).
    .addColumn('instance_id', 'text')
    // i18n key of why the last attempt stopped (wrong file, no My Number column …).
    .addColumn('last_error', 'text')
    .addColumn('persons_added', 'integer')
    .addColumn('duplicates', 'integer')
    .addColumn('review_count', 'integer')
    .addColumn('excluded', 'integer')
    .addColumn('committed_by', 'text', (c) => c.references('users.id'))
    .addColumn('committed_at', 'text')
    .addColumn('done_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ingest_jobs_state').on('ingest_jobs').columns(['state', 'updated_at']).execute();

  await db.schema
    .createTable('ingest_review')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('ingest_jobs.id'))
    .addColumn('drop_id', 'text', (c) => c.notNull().references('drops.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    // A parser reason (missing, check-digit, excel-damaged …) or number-change.
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source_sheet', 'text', (c) => c.notNull())
    .addColumn('source_row', 'integer', (c) => c.notNull())
    .addColumn('source_page', 'integer')
    .addColumn('source_column', 'text')
    .addColumn('name', 'text')
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('employee_code', 'text')
    // Set when staff dealt with it (later issues); open while null.
    .addColumn('resolved_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ingest_review_company').on('ingest_review').columns(['company_id', 'created_at']).execute();
  await db.schema.createIndex('ingest_review_drop').on('ingest_review').column('drop_id').execute();

  await db.schema
    .createTable('drop_disposals')
    .addColumn('drop_id', 'text', (c) => c.primaryKey().references('drops.id'))
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    // What was destroyed, as the receipt named it: the stored ciphertext.
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    // Exactly what was done and checked (P5): e.g. storage-delete-all-versions on local.
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    // Null: finished by kinko's own recovery after a restart.
    .addColumn('by_user', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drop_disposals').execute();
  await db.schema.dropTable('ingest_review').execute();
  await db.schema.dropTable('ingest_jobs').execute();
}
