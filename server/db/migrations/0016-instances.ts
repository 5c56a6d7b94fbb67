import type { Kysely } from 'kysely';

/**
 * The running kinko processes of a scaled deployment (issue 17): each writes
 * its row at start and refreshes `seen_at` every few seconds, with the
 * address its peers reach it at (KINKO_INSTANCE_URL, may be empty).
 *
 * Two things need it. An ingest preview lives in the memory of the instance
 * that parsed the file (P1, P3): a request for it landing on another instance
 * is forwarded to that address. And an instance that stopped refreshing its
 * row (killed, crashed, cut off) is dead: any other instance releases the
 * ingest claims it held at once, instead of after the preview's 15 minutes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kinko_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('kinko_instances').execute();
}
