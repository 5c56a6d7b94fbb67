import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { eachRow } from '../../server/db/sqlite-driver.js';

/**
 * eachRow (db/sqlite-driver.ts): one prepared statement run per parameter
 * list, inside or outside a transaction, rolled back with the transaction.
 * (It exists because a many-row statement inside a transaction makes SQLite
 * keep a statement journal, a temp file of page copies; a one-row statement
 * needs none. The ingest bench's strace counts show that, not this test.)
 */
describe('embedded database: eachRow', () => {
  let conn: OpenDatabase | undefined;
  let dir: string;
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<OpenDatabase> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-each-'));
    conn = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'kinko.sqlite') });
    await sql`create table t (n integer primary key, s text not null unique)`.execute(conn.db);
    return conn;
  }
  const rows = async (c: OpenDatabase) => (await sql<{ n: number; s: string }>`select n, s from t order by n`.execute(c.db)).rows;

  it('runs the statement once per list, in order, and counts the rows', async () => {
    const c = await open();
    const lists = Array.from({ length: 2500 }, (_, i) => [i, `行 ${i} 😀`]);
    const result = await c.db.transaction().execute((trx) => trx.executeQuery(eachRow('insert into t (n, s) values (?, ?)', lists)));
    expect(result.numAffectedRows).toBe(2500n);
    expect(await rows(c)).toEqual(lists.map(([n, s]) => ({ n, s })));
    await c.db.executeQuery(eachRow('insert into t (n, s) values (?, ?)', [[5000, 'outside a transaction']]));
    expect((await rows(c)).length).toBe(2501);
  });

  it('a failing row fails the call, and the transaction rolls back every row before it', async () => {
    const c = await open();
    const err = await c.db
      .transaction()
      .execute(async (trx) => {
        await trx.executeQuery(eachRow('insert into t (n, s) values (?, ?)', [[1, 'a'], [2, 'b'], [3, 'a']]));
      })
      .then(() => null, (e: unknown) => e);
    expect(String((err as Error | null)?.message)).toMatch(/unique/i);
    expect(await rows(c)).toEqual([]);
  });

  it('refuses a read', async () => {
    const c = await open();
    await expect(c.db.executeQuery(eachRow('select n from t where n = ?', [[1]]))).rejects.toThrow(/writes only/);
  });
});
