import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encryptThreadCount, stopEncryptThreads } from '../../server/drops/encrypt-thread.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import {
  clientInRoom,
  closing,
  csvBytes,
  dropRows,
  eventually,
  gpgDecrypt,
  installOfficeKey,
  listen,
  partHeader,
  storedObjects,
  streamPost,
  type Listening,
  type RoomClient,
  type TestOfficeKey,
} from './helpers.js';

/**
 * Plain uploads are encrypted on an encryption thread (encrypt-thread.ts).
 * When that thread is lost in the middle of an upload, the upload must fail
 * like any other failed upload — refused, nothing kept, no half-written
 * object — and the server must go on encrypting the next uploads.
 */
describe('drops: the encryption thread', () => {
  let t: TestApp;
  let office: TestOfficeKey;
  let c: RoomClient;
  let server: Listening;

  beforeAll(async () => {
    t = await makeTestApp();
    office = await installOfficeKey(t.deps);
    c = await clientInRoom(t);
    server = await listen(t);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  const headers = () => ({ cookie: c.cookies, 'x-csrf-token': c.csrf, accept: 'application/json' });

  function* oneFile(name: string, size: number): Generator<Buffer> {
    yield partHeader('files', name, 'text/csv');
    yield* csvBytes(size);
    yield closing();
  }

  it('when the thread is lost mid-upload, that upload is refused and nothing of it is kept; the next plain upload is encrypted on a new thread', async () => {
    const rows = await dropRows(t);
    let stopped = false;
    const res = await streamPost(server.port, `${c.base}/drops`, headers(), oneFile('roster.csv', 24 * 1024 * 1024), async (sent) => {
      if (stopped || sent < 8 * 1024 * 1024) return;
      stopped = true;
      expect(encryptThreadCount()).toBeGreaterThan(0);
      await stopEncryptThreads();
    }).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
    expect(stopped).toBe(true);
    expect([500, -1]).toContain(res.status);
    expect(await eventually(async () => (await storedObjects(t)).temp.length === 0)).toBe(true);
    expect((await storedObjects(t)).objects).toEqual([]);
    expect(await dropRows(t)).toBe(rows);

    const plain = Buffer.from('社員番号,氏名\r\nE1,山田 太郎\r\n'.repeat(2000));
    const next = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', plain, 'next.csv');
    expect(next.status).toBe(201);
    const row = await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', next.body.drops[0].receipt.dropId).executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const ch of await t.deps.storage.drops.get(row.stored_key)) chunks.push(ch as Buffer);
    expect(gpgDecrypt(office, Buffer.concat(chunks)).equals(plain)).toBe(true);
    expect(encryptThreadCount()).toBe(1);
  }, 120_000);
});
