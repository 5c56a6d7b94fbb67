import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { until } from '../helpers/until.js';

/**
 * The embedded database as the server opens it: its write-ahead log is
 * copied back into the database file by a thread of its own, not inside the
 * commit that grew it (db/checkpoints.ts).
 */
describe('background checkpoints of the embedded database', () => {
  let conn: OpenDatabase | undefined;
  let dir: string;
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(background: boolean): Promise<{ file: string; db: OpenDatabase }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-ckpt-'));
    const file = path.join(dir, 'kinko.sqlite');
    conn = await openDatabase({ kind: 'sqlite', file }, { backgroundCheckpoints: background });
    await sql`create table bulk (b blob not null)`.execute(conn.db);
    return { file, db: conn };
  }

  /** One transaction of about `mib` MiB of rows: well past the 1,000 pages at which SQLite checkpoints in the commit. */
  async function bigCommit(db: OpenDatabase, mib: number): Promise<void> {
    await db.db.transaction().execute(async (trx) => {
      for (let i = 0; i < mib * 16; i++) await sql`insert into bulk (b) values (${randomBytes(64 * 1024)})`.execute(trx);
    });
  }

  it('when a large transaction commits, then the commit leaves the copying to the thread, which has done it shortly after', async () => {
    const { file, db } = await open(true);
    const before = fs.statSync(file).size;
    await bigCommit(db, 8);
    // Committed (durable in the log), not yet copied into the database file by the commit itself.
    expect(fs.statSync(file).size - before).toBeLessThan(1024 * 1024);
    await until(() => fs.statSync(file).size - before > 8 * 1024 * 1024, 5000);
    const state = await db.checkpoints!.now();
    expect(state.checkpointed).toBe(state.log);
    expect(await db.db.selectFrom('bulk' as never).select(sql<number>`count(*)`.as('n')).executeTakeFirst()).toEqual({ n: 128 });
  });

  it('without the thread (commands, tests) or once it is stopped, the commit checkpoints as SQLite does by default', async () => {
    const { file, db } = await open(false);
    const before = fs.statSync(file).size;
    await bigCommit(db, 8);
    expect(fs.statSync(file).size - before).toBeGreaterThan(8 * 1024 * 1024);
    await db.close();

    const again = await openDatabase({ kind: 'sqlite', file }, { backgroundCheckpoints: true });
    conn = again;
    const auto = async () => ((await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(again.db)).rows[0]!.wal_autocheckpoint);
    expect(await auto()).toBe(0);
    await again.checkpoints!.stop();
    expect(await auto()).toBe(1000);
  });
});
