/**
 * The databases every database-backed suite runs against, for `describe.each`:
 *
 *   describe.each(testDatabases())('on $name', (target) => {
 *     let opened: Awaited<ReturnType<typeof target.open>>;
 *     beforeAll(async () => { opened = await target.open(); });
 *     afterAll(() => opened.cleanup());
 *     ... openDatabase(opened.config) ...
 *   });
 *
 * SQLite always (a file in a fresh temp folder). PostgreSQL when the global
 * setup started one (KINKO_TEST_PG_URL): each open() creates a fresh, empty
 * database, so suites never see each other's rows. Outside CI a missing
 * PostgreSQL drops those cases with a visible warning; under CI=true it throws,
 * because nothing may be skipped in CI.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../server/config.js';

export interface OpenedTestDatabase {
  config: Config['database'];
  /** Deletes the file or drops the database. */
  cleanup(): Promise<void>;
}

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedTestDatabase>;
}

export function testDatabases(): TestDatabase[] {
  const adminUrl = process.env.KINKO_TEST_PG_URL;
  if (!adminUrl) {
    const why = process.env.KINKO_TEST_UNAVAILABLE ?? 'KINKO_TEST_PG_URL unset';
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI but not available (${why})`);
    console.warn(`[kinko tests] PostgreSQL cases skipped, SQLite only: ${why}`);
    return [sqlite];
  }
  return [sqlite, postgres(adminUrl)];
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  async open() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kinko-db-'));
    return {
      config: { kind: 'sqlite', file: path.join(dir, 'kinko.sqlite') },
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
};

function postgres(adminUrl: string): TestDatabase {
  return {
    name: 'postgres',
    async open() {
      // Hex only, so the name is safe to put into the statement as is
      // (CREATE DATABASE takes no parameters).
      const name = `kinko_t_${crypto.randomBytes(6).toString('hex')}`;
      await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        config: { kind: 'postgres', url: url.toString() },
        // FORCE ends connections a failed test left open, so the drop never hangs.
        cleanup: () => asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      };
    },
  };
}

/** One statement as the PostgreSQL admin (CREATE/DROP DATABASE), on a connection of its own. */
export async function asAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The env value that points an app at an opened test database. */
export function databaseUrl(db: OpenedTestDatabase): string {
  return db.config.kind === 'sqlite' ? `sqlite:${db.config.file}` : db.config.url;
}
