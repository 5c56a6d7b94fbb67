/**
 * Brings the database schema up to date with Kysely's Migrator, fed from the
 * static list in migrations/index.ts. Each run is one transaction on both
 * dialects (see connection.ts for SQLite), so a failing migration leaves the
 * database as it was. On PostgreSQL, Kysely takes an advisory lock, so several
 * app instances starting together migrate one after another, not at once.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { migrations } from './migrations/index.js';

/** Names are part of every installed database; never change them. */
const MIGRATION_TABLE = 'kinko_migration';
const MIGRATION_LOCK_TABLE = 'kinko_migration_lock';

export type MigrationList = Readonly<Record<string, Migration>>;

/** The schema could not be brought up to date. The message says which migration and why. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface SchemaStatus {
  applied: string[];
  /** Migrations this build has that the database has not run yet. */
  pending: string[];
  /** Migrations the database has run that this build does not know: a newer kinko migrated it. */
  unknown: string[];
}

/**
 * Applies every pending migration and returns their names, in order (empty when
 * the schema is already current). `list` is for tests; the app uses the default.
 */
export async function migrateToLatest(db: Kysely<any>, list: MigrationList = migrations): Promise<string[]> {
  const { error, results = [] } = await migratorFor(db, list).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      failed
        ? `database migration ${failed} failed, nothing of this run was applied: ${reason}`
        : /previously executed migration/.test(reason)
          ? `the database was migrated by a different (newer?) kinko version: ${reason}; run that version or restore a backup`
          : `cannot migrate the database: ${reason}`,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** What `kinko doctor` reports: applied, pending and unknown migration names. Changes nothing. */
export async function schemaStatus(db: Kysely<any>, list: MigrationList = migrations): Promise<SchemaStatus> {
  const known = await migratorFor(db, list).getMigrations();
  const applied = known.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const pending = known.filter((m) => m.executedAt === undefined).map((m) => m.name);
  const tables = await db.introspection.getTables();
  const executed = tables.some((t) => t.name === MIGRATION_TABLE)
    ? (await db.selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute()).map((r) => String(r.name))
    : [];
  return { applied, pending, unknown: executed.filter((name) => !(name in list)) };
}

function migratorFor(db: Kysely<any>, list: MigrationList): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...list }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}
