import type { Kysely } from 'kysely';

/**
 * Issue 12: a drop whose file could not be read is marked so, with its
 * reason, instead of being tried again blindly. Before, a file that took the
 * parser down left its drop `received`, and the next "start" read it again.
 *
 * `unreadable_at` is when the last attempt failed for a reason in the file
 * itself (too big, damaged, unsafe, no My Number column …; its i18n key is
 * the job's `last_error`) — null once an attempt reads the file. Starting
 * again needs a deliberate "read it again" by a key holder
 * (server/ingest/start.ts). `unreadable_count` counts such failures.
 * Columns added to ingest_jobs (one row per drop), nothing rebuilt.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ingest_jobs').addColumn('unreadable_at', 'text').execute();
  await db.schema.alterTable('ingest_jobs').addColumn('unreadable_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ingest_jobs').dropColumn('unreadable_count').execute();
  await db.schema.alterTable('ingest_jobs').dropColumn('unreadable_at').execute();
}
