import { afterAll, describe, expect, it } from '@jest/globals';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { migrations } from '../../server/db/migrations/index.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { dropDisposalRow } from '../helpers/disposal.js';

/**
 * Migration 0015 moves disposal records out of the ingest migration's
 * drop_disposals into disposals + disposal_objects. An installed database
 * (0001–0014 applied, records in drop_disposals) and a fresh one must end
 * with the same schema, and the installed one keeps every record.
 */
const upTo0014 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0015'));
const AT = '2026-11-02T01:02:03.000Z';

async function schemaOf(db: Kysely<any>, dialect: string): Promise<unknown> {
  if (dialect === 'sqlite') {
    const r = await sql<{ type: string; name: string; sql: string | null }>`select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(db);
    return r.rows;
  }
  const cols = await sql`select table_name, column_name, data_type, is_nullable, column_default, ordinal_position from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`.execute(db);
  const cons = await sql`select conname, contype, conrelid::regclass::text as rel, pg_get_constraintdef(oid) as def from pg_constraint where connamespace = 'public'::regnamespace order by conname`.execute(db);
  const idx = await sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`.execute(db);
  return { cols: cols.rows, cons: cons.rows, idx: idx.rows };
}

async function seedOldRecord(db: Kysely<any>): Promise<void> {
  await db.insertInto('companies').values({ id: 'c1', name: 'テスト社', contact_email: 'a@example.jp', status: 'active', access_key_hash: 'h', access_key_sealed: 's', created_at: AT, updated_at: AT }).execute();
  await db.insertInto('users').values({ id: 'u1', role: 'staff', login_id: 'staff1', display_name: '担当 一郎', status: 'active', created_at: AT, updated_at: AT }).execute();
  await db.insertInto('users').values({ id: 'u2', role: 'client', company_id: 'c1', login_id: 'client1', display_name: '顧客', status: 'active', created_at: AT, updated_at: AT }).execute();
  for (const id of ['d1', 'd2']) {
    await db.insertInto('drops').values({ id, company_id: 'c1', uploaded_by: 'u2', file_name: 'x.csv', stored_key: `key-${id}`, size: 1234, sha256: `sha-${id}`, kind: 'server-encrypted', state: 'disposed', created_at: AT, updated_at: AT }).execute();
  }
  await db.insertInto('drop_disposals').values({ drop_id: 'd1', company_id: 'c1', sha256: 'sha-d1', size: 1234, method: 'storage-delete-all-versions', backend: 'local', verified_at: AT, by_user: 'u1', created_at: AT }).execute();
  await db.insertInto('drop_disposals').values({ drop_id: 'd2', company_id: 'c1', sha256: 'sha-d2', size: 1234, method: 'storage-delete-all-versions', backend: 's3', verified_at: AT, by_user: null, created_at: AT }).execute();
}

describe.each(testDatabases())('migration 0015 (disposals) on $name', (target) => {
  const opened: OpenedTestDatabase[] = [];
  const conns: OpenDatabase[] = [];
  afterAll(async () => {
    for (const c of conns) await c.close();
    for (const o of opened) await o.cleanup();
  });
  async function open(): Promise<OpenDatabase> {
    const o = await target.open();
    opened.push(o);
    const c = await openDatabase(o.config);
    conns.push(c);
    return c;
  }

  it('an installed database keeps its records and ends with the schema of a fresh one', async () => {
    const installed = await open();
    await migrateToLatest(installed.db, upTo0014);
    await seedOldRecord(installed.db);
    expect(await migrateToLatest(installed.db)).toEqual(Object.keys(migrations).filter((name) => name >= '0015').sort());

    const fresh = await open();
    await migrateToLatest(fresh.db);

    expect(await schemaOf(installed.db, target.name)).toEqual(await schemaOf(fresh.db, target.name));
    const tables = (await installed.db.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['disposals', 'disposal_objects']));
    expect(tables).not.toContain('drop_disposals');

    expect(await dropDisposalRow(installed.db, 'd1')).toMatchObject({
      company_id: 'c1', sha256: 'sha-d1', size: 1234, method: 'storage-delete-all-versions', backend: 'local', reason: 'ingested',
      verification: 'remnants-empty-and-head-not-found', verified_at: AT, by_user: 'u1', object_key: 'key-d1',
    });
    expect(await dropDisposalRow(installed.db, 'd2')).toMatchObject({ backend: 's3', by_user: null, object_key: 'key-d2' });
    const n = await installed.db.selectFrom('disposals').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(2);
  });

  it('a second record of the same subject is refused (one disposal per subject)', async () => {
    // Its own database, so this case does not lean on the one before it.
    const { db } = await open();
    await migrateToLatest(db, upTo0014);
    await seedOldRecord(db);
    await migrateToLatest(db);
    const record = (id: string) => db.insertInto('disposals').values({
      id, company_id: 'c1', subject_kind: 'drop', subject_id: 'd3', reason: 'ingested', method: 'm', verification: 'v', verified_at: AT, by_user: null, created_at: AT,
    }).execute();
    await record('first');
    // The refusal's message, not `rejects.toThrow`: better-sqlite3's error is
    // made in the realm of the test file that first loaded the native module,
    // so in a shared jest worker it is no `instanceof Error` here and toThrow says "did not throw".
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => String((e as { message?: unknown })?.message ?? e));
    expect(await refusal(record('again'))).toMatch(/unique|duplicate/i);
    const copied = db.insertInto('disposals').values({
      id: 'dup', company_id: 'c1', subject_kind: 'drop', subject_id: 'd1', reason: 'ingested', method: 'm', verification: 'v', verified_at: AT, by_user: null, created_at: AT,
    }).execute();
    expect(await refusal(copied)).toMatch(/unique|duplicate/i);
  });
});
