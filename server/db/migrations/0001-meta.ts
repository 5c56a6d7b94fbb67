import type { Kysely } from 'kysely';

/**
 * kinko_meta: small facts about this installation (install id, ...).
 * Migrations take `Kysely<any>`: they describe the schema as it was when they
 * were written, not the current `Database` interface. Only the schema builder
 * is used, so the same code runs on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kinko_meta')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('kinko_meta').execute();
}
