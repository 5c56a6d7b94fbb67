import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';

/**
 * Issue 12, the stall: while one transaction is open on the embedded database
 * (an ingest confirming 83,000 persons holds one for seconds), reads outside
 * it — the health probe, every signed-in page's session lookup — answer at
 * once from the committed state instead of waiting for the commit; writes
 * still wait their turn (SQLite has one writer) and nothing is lost or mixed.
 */
describe('embedded database: reads do not wait for an open transaction', () => {
  let conn: OpenDatabase | undefined;
  let dir: string;
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<OpenDatabase> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-rw-'));
    conn = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'kinko.sqlite') });
    await sql`create table t (n integer not null)`.execute(conn.db);
    await sql`insert into t (n) values (1)`.execute(conn.db);
    return conn;
  }

  const count = async (c: OpenDatabase) => (await sql<{ c: number }>`select count(*) as c from t`.execute(c.db)).rows[0]!.c;

  /** Opens a transaction that inserts a row and stays open until the returned `finish` is called. */
  function holdTransaction(c: OpenDatabase, fail = false) {
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const done = c.db.transaction().execute(async (trx) => {
      await sql`insert into t (n) values (2)`.execute(trx);
      inside();
      await gate;
      if (fail) throw new Error('the work failed');
      return (await sql<{ c: number }>`select count(*) as c from t`.execute(trx)).rows[0]!.c;
    });
    return { entered, finish, done };
  }

  it('a read during a long transaction answers at once with the committed state, and sees the commit after it', async () => {
    const c = await open();
    const held = holdTransaction(c);
    await held.entered;
    const t0 = performance.now();
    expect(await count(c)).toBe(1); // the transaction's own row is not visible outside it yet
    await c.ping();
    expect(performance.now() - t0).toBeLessThan(500);
    held.finish();
    expect(await held.done).toBe(2); // inside, it saw its own write
    expect(await count(c)).toBe(2);
  });

  it('a write outside the transaction waits for it, then runs; a failed transaction leaves nothing and lets the next in', async () => {
    const c = await open();
    const held = holdTransaction(c);
    await held.entered;
    let written = false;
    const write = sql`insert into t (n) values (3)`.execute(c.db).then(() => (written = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(written).toBe(false);
    held.finish();
    await held.done;
    await write;
    expect(await count(c)).toBe(3);

    const failing = holdTransaction(c, true);
    await failing.entered;
    failing.finish();
    await expect(failing.done).rejects.toThrow('the work failed');
    expect(await count(c)).toBe(3);
    await sql`insert into t (n) values (4)`.execute(c.db);
    expect(await count(c)).toBe(4);
  });

  it('transactions run one at a time, in the order they asked, each all-or-nothing', async () => {
    const c = await open();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        c.db.transaction().execute(async (trx) => {
          order.push(i);
          await sql`insert into t (n) values (${i * 10})`.execute(trx);
          await new Promise((r) => setTimeout(r, 5));
          await sql`insert into t (n) values (${i * 10 + 1})`.execute(trx);
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(await count(c)).toBe(11);
  });

  it('a per-connection setting (PRAGMA) and a write with RETURNING go to the writer', async () => {
    const c = await open();
    const fk = (await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(c.db)).rows[0]!.foreign_keys;
    expect(fk).toBe(1); // the writer has foreign keys on; the reader was never asked to
    const back = await sql<{ n: number }>`insert into t (n) values (9) returning n`.execute(c.db);
    expect(back.rows).toEqual([{ n: 9 }]);
  });
});
