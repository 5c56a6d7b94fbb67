import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql, type Kysely } from 'kysely';
import { DatabaseUnavailableError, openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest, MigrationError, schemaStatus } from '../../server/db/migrate.js';
import { migrations } from '../../server/db/migrations/index.js';
import { inTransaction } from '../../server/db/transaction.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { describeWith } from '../helpers/requires.js';
import { freePort } from '../helpers/servers.js';

describe.each(testDatabases())('database on $name', (target) => {
  let opened: OpenedTestDatabase;
  let conn: OpenDatabase;

  beforeAll(async () => {
    opened = await target.open();
    conn = await openDatabase(opened.config);
  });
  afterAll(async () => {
    await conn?.close();
    await opened?.cleanup();
  });

  it('reports the dialect it opened and answers a ping', async () => {
    expect(conn.dialect).toBe(target.name);
    await expect(conn.ping()).resolves.toBeUndefined();
  });

  it('when the database is empty, migrating applies every migration in order', async () => {
    expect(await schemaStatus(conn.db)).toEqual({ applied: [], pending: Object.keys(migrations), unknown: [] });

    const applied = await migrateToLatest(conn.db);

    expect(applied).toEqual(Object.keys(migrations));
    expect(await schemaStatus(conn.db)).toEqual({ applied: Object.keys(migrations), pending: [], unknown: [] });
  });

  it('when migrated again, nothing is applied and nothing changes', async () => {
    expect(await migrateToLatest(conn.db)).toEqual([]);
  });

  it('stores, reads and updates a kinko_meta value', async () => {
    await conn.db.insertInto('kinko_meta').values({ key: 'install_id', value: 'abc' }).execute();
    await conn.db.updateTable('kinko_meta').set({ value: '金庫-1' }).where('key', '=', 'install_id').execute();

    const row = await conn.db.selectFrom('kinko_meta').selectAll().where('key', '=', 'install_id').executeTakeFirst();

    expect(row).toEqual({ key: 'install_id', value: '金庫-1' });
  });

  it('returns count(*) as a number, not a string, on both dialects', async () => {
    const { n } = await conn.db
      .selectFrom('kinko_meta')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(1);
  });

  it('when a transaction throws, none of its writes remain', async () => {
    const boom = new Error('boom');

    const run = inTransaction(conn.db, async (trx) => {
      await trx.insertInto('kinko_meta').values({ key: 'half-done', value: 'x' }).execute();
      await trx.updateTable('kinko_meta').set({ value: 'changed' }).where('key', '=', 'install_id').execute();
      throw boom;
    });

    await expect(run).rejects.toBe(boom);
    const rows = await conn.db.selectFrom('kinko_meta').selectAll().orderBy('key').execute();
    expect(rows).toEqual([{ key: 'install_id', value: '金庫-1' }]);
  });

  it('when a transaction succeeds, its result is returned and its writes kept', async () => {
    const result = await inTransaction(conn.db, async (trx) => {
      await trx.insertInto('kinko_meta').values({ key: 'committed', value: 'y' }).execute();
      return 42;
    });
    expect(result).toBe(42);
    expect(await conn.db.selectFrom('kinko_meta').select('value').where('key', '=', 'committed').executeTakeFirst()).toEqual({ value: 'y' });
  });

  it('when a migration fails halfway, nothing of that run is applied and the error names it', async () => {
    const broken = {
      ...migrations,
      '9000-probe-ok': { up: async (db: Kysely<any>) => db.schema.createTable('probe_ok').addColumn('id', 'text').execute() },
      '9001-probe-broken': {
        up: async (db: Kysely<any>) => {
          await db.schema.createTable('probe_half').addColumn('id', 'text').execute();
          throw new Error('deliberate failure');
        },
      },
    };

    const run = migrateToLatest(conn.db, broken);

    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(/9001-probe-broken.*deliberate failure/);
    const tables = (await conn.db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('probe_ok');
    expect(tables).not.toContain('probe_half');
    expect((await schemaStatus(conn.db, broken)).pending).toEqual(['9000-probe-ok', '9001-probe-broken']);
  });

  it('when the database was migrated by a newer build, status lists the unknown migration and migrating refuses', async () => {
    const newer = { ...migrations, '9002-from-the-future': { up: async () => {} } };
    await migrateToLatest(conn.db, newer);

    expect((await schemaStatus(conn.db)).unknown).toEqual(['9002-from-the-future']);
    await expect(migrateToLatest(conn.db)).rejects.toThrow(/different \(newer\?\) kinko version.*9002-from-the-future/);
  });

  it('can be closed twice', async () => {
    const second = await openDatabase(opened.config);
    await second.close();
    await expect(second.close()).resolves.toBeUndefined();
  });
});

describe('SQLite file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kinko-sqlite-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('when opened, WAL, foreign keys, secure delete, busy timeout and full sync are in force', async () => {
    const conn = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'pragmas', 'kinko.sqlite') });
    try {
      const pragma = async (name: string) => Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(conn.db)).rows[0]!)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('secure_delete')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('synchronous')).toBe(2); // FULL
    } finally {
      await conn.close();
    }
  });

  it('when a row points at a missing parent, SQLite rejects it as PostgreSQL would', async () => {
    const conn = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'fk', 'kinko.sqlite') });
    try {
      const db = conn.db as Kysely<any>;
      await db.schema.createTable('parent').addColumn('id', 'text', (c) => c.primaryKey()).execute();
      await db.schema.createTable('child').addColumn('parent_id', 'text', (c) => c.notNull().references('parent.id')).execute();

      // Compare the message, not the class: under jest the driver's Error may come from another realm.
      const err = await db.insertInto('child').values({ parent_id: 'nobody' }).execute().then(() => null, (e: unknown) => e);
      expect(String((err as Error | null)?.message)).toMatch(/FOREIGN KEY/);
    } finally {
      await conn.close();
    }
  });

  it('when created, the file and its folder are readable by the owner only', async () => {
    const file = path.join(dir, 'private', 'kinko.sqlite');
    const conn = await openDatabase({ kind: 'sqlite', file });
    await conn.close();

    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('when the file cannot be created, opening fails with a clear error naming the file', async () => {
    // A regular file where the folder should be: unwritable even for root.
    const blocker = path.join(dir, 'not-a-folder');
    await fs.writeFile(blocker, '');
    const file = path.join(blocker, 'sub', 'kinko.sqlite');

    const open = openDatabase({ kind: 'sqlite', file });

    await expect(open).rejects.toThrow(DatabaseUnavailableError);
    await expect(open).rejects.toThrow(`cannot open SQLite database ${file}`);
    await expect(open).rejects.toThrow(/check that the folder exists/);
  });

  it('when the file is not a database, opening fails with a clear error', async () => {
    const file = path.join(dir, 'garbage.sqlite');
    await fs.writeFile(file, 'this is not sqlite, it is a text file that is long enough to have a header'.repeat(20));

    await expect(openDatabase({ kind: 'sqlite', file })).rejects.toThrow(/garbage\.sqlite \(SQLITE_NOTADB\): it is not a kinko SQLite database/);
  });
});

describe('PostgreSQL that cannot be reached', () => {
  const password = 'Pa55-not-for-logs';

  async function failure(url: string): Promise<{ error: DatabaseUnavailableError; ms: number }> {
    const started = Date.now();
    const error = await openDatabase({ kind: 'postgres', url }).then(
      () => {
        throw new Error('expected openDatabase to fail');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    return { error: error as DatabaseUnavailableError, ms: Date.now() - started };
  }

  it('when the host name does not exist, it fails fast, names the host and hides the password', async () => {
    const { error, ms } = await failure(`postgres://kinko:${password}@nowhere.invalid/x`);

    expect(ms).toBeLessThan(6000);
    expect(error.message).toContain('kinko@nowhere.invalid:5432/x');
    expect(error.message).toMatch(/host name was not found/);
    expect(error.message).not.toContain(password);
    expect(error.message).not.toContain('\n');
  });

  it('when nothing listens on the port, it fails fast, names host and port and hides the password', async () => {
    const port = await freePort();

    const { error, ms } = await failure(`postgres://kinko:${password}@127.0.0.1:${port}/x`);

    expect(ms).toBeLessThan(6000);
    expect(error.message).toContain(`127.0.0.1:${port}/x`);
    expect(error.message).toMatch(/ECONNREFUSED.*check that PostgreSQL is running/);
    expect(error.message).not.toContain(password);
  });

  it('when the URL is malformed, the error carries neither the URL nor the password', async () => {
    const { error } = await failure(`postgres://kinko:${password}@[not-a-host/x`);

    expect(error.message).toMatch(/not valid/);
    expect(error.message).not.toContain(password);
    expect(error.cause).toBeUndefined();
  });
});

describeWith('KINKO_TEST_PG_URL', 'PostgreSQL')('PostgreSQL that is reachable but wrongly configured', () => {
  it('when the database does not exist, the error says so and how to fix it', async () => {
    const url = new URL(process.env.KINKO_TEST_PG_URL!);
    url.pathname = '/kinko_missing_db';
    url.password = 'Pa55-not-for-logs';

    await expect(openDatabase({ kind: 'postgres', url: url.toString() })).rejects.toThrow(
      /kinko_missing_db \(3D000\): the database does not exist/,
    );
  });
});
