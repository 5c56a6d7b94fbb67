import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { destroyUserSessions } from '../../server/auth/sessions.js';
import { limits } from '../../server/config.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import {
  BOUNDARY,
  clientInRoom,
  closing,
  csvBytes,
  dropRows,
  eventually,
  fixture,
  installOfficeKey,
  listen,
  multipartBody,
  partHeader,
  storedObjects,
  streamPost,
  type Listening,
  type RoomClient,
  type TestOfficeKey,
} from './helpers.js';

/**
 * security.md UPLOAD/BAD INPUT: every limit finite and enforced while
 * streaming (413 on the first byte over, nothing kept), no silently truncated
 * file, malformed multipart answered 400 with the process still serving and
 * its file descriptors and memory back near where they were.
 */
describe('drops: limits and malformed uploads', () => {
  let t: TestApp;
  let office: TestOfficeKey;
  let c: RoomClient;
  let server: Listening;
  const max = limits.upload.maxFileBytes;

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

  const authHeaders = () => ({ cookie: c.cookies, 'x-csrf-token': c.csrf, accept: 'application/json' });

  async function expectNothingKept(rowsBefore: number) {
    expect(await eventually(async () => {
      const s = await storedObjects(t);
      return s.temp.length === 0;
    })).toBe(true);
    const s = await storedObjects(t);
    expect(s.temp).toEqual([]);
    expect(await dropRows(t)).toBe(rowsBefore);
    return s;
  }

  function* oneFile(name: string, size: number): Generator<Buffer> {
    yield partHeader('files', name, 'text/csv');
    yield* csvBytes(size);
    yield closing();
  }

  /** SHA-256 and length of what GnuPG decrypts, streamed (100 MiB never sits in memory twice). */
  async function gpgDigest(cipher: Buffer): Promise<{ size: number; sha256: string }> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-gpg-'));
    try {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('gpg', ['--batch', '--import'], { env: { ...process.env, GNUPGHOME: home } });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error('gpg import'))));
        p.stdin.end(office.privateArmored);
      });
      return await new Promise((resolve, reject) => {
        const p = spawn('gpg', ['--batch', '--quiet', '--decrypt'], { env: { ...process.env, GNUPGHOME: home } });
        const h = createHash('sha256');
        let size = 0;
        p.stdout.on('data', (d: Buffer) => {
          h.update(d);
          size += d.length;
        });
        p.on('exit', (code) => (code === 0 ? resolve({ size, sha256: h.digest('hex') }) : reject(new Error(`gpg decrypt exit ${code}`))));
        p.stdin.end(cipher);
      });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }

  it('a file of exactly the size limit is accepted whole — decrypted, it is every byte that was sent', async () => {
    const res = await streamPost(server.port, `${c.base}/drops`, authHeaders(), oneFile('exact.csv', max));
    expect(res.status).toBe(201);
    const receipt = JSON.parse(res.body).drops[0].receipt;
    const row = await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', receipt.dropId).executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const ch of await t.deps.storage.drops.get(row.stored_key)) chunks.push(ch as Buffer);
    const cipher = Buffer.concat(chunks);
    const expected = createHash('sha256');
    for (const ch of csvBytes(max)) expected.update(ch);
    expect(await gpgDigest(cipher)).toEqual({ size: max, sha256: expected.digest('hex') });
    await t.deps.storage.drops.delete(row.stored_key);
    await t.deps.db.deleteFrom('drops').where('id', '=', receipt.dropId).execute();
  }, 120_000);

  it('one byte over the limit → 413 while streaming, with the limit in the message; no object, no temp file, no row', async () => {
    const rows = await dropRows(t);
    const res = await streamPost(server.port, `${c.base}/drops`, authHeaders(), oneFile('big.csv', max + 1));
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('drops.errors.fileTooLarge');
    expect(body.error.message).toContain('100 MiB');
    const s = await expectNothingKept(rows);
    expect(s.objects).toEqual([]);
  }, 120_000);

  it('a file far over the limit is cut off at the limit (413), not read to its end', async () => {
    const rows = await dropRows(t);
    let sentAtAnswer = -1;
    let sent = 0;
    const big = oneFile('huge.csv', 4 * max);
    const res = await streamPost(server.port, `${c.base}/drops`, authHeaders(), big, (n) => {
      sent = n;
    }).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
    sentAtAnswer = sent;
    expect([413, -1]).toContain(res.status);
    expect(sentAtAnswer).toBeLessThan(2 * max);
    await expectNothingKept(rows);
    expect((await storedObjects(t)).objects).toEqual([]);
  }, 120_000);

  it(`${limits.upload.maxFilesPerRequest + 1} files in one request → 413 and none of them kept`, async () => {
    const rows = await dropRows(t);
    const files = Array.from({ length: limits.upload.maxFilesPerRequest + 1 }, (_, i) => ({ name: `f${i}.csv`, data: Buffer.from(`a,b\n${i},x\n`) }));
    const res = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(multipartBody(files));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('drops.errors.tooManyFiles');
    await expectNothingKept(rows);
    expect((await storedObjects(t)).objects).toEqual([]);
  });

  it(`exactly ${limits.upload.maxFilesPerRequest} files are accepted, each with its own receipt`, async () => {
    const files = Array.from({ length: limits.upload.maxFilesPerRequest }, (_, i) => ({ name: `g${i}.csv`, data: Buffer.from(`a,b\n${i},y\n`) }));
    const res = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(multipartBody(files));
    expect(res.status).toBe(201);
    expect(res.body.drops.map((d: { receipt: { fileName: string } }) => d.receipt.fileName)).toEqual(files.map((f) => f.name));
  });

  it('too many form fields → 413, nothing kept', async () => {
    const rows = await dropRows(t);
    const fields = Array.from({ length: limits.upload.maxFields + 1 }, (_, i) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('');
    const body = Buffer.concat([Buffer.from(fields), partHeader('files', 'x.csv'), Buffer.from('a,b\n'), closing()]);
    const res = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`).send(body);
    expect(res.status).toBe(413);
    await expectNothingKept(rows);
  });

  describe('malformed multipart', () => {
    const send = (body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`) =>
      c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').set('Content-Type', contentType).send(body);

    const corpus: Array<[string, () => Promise<{ status: number }>]> = [
      ['a boundary cut off (no closing delimiter)', () => send(Buffer.concat([partHeader('files', 'a.csv'), Buffer.from('a,b\n1,2\n'.repeat(10_000))]))],
      ['a closing delimiter cut in half', () => send(Buffer.concat([partHeader('files', 'a.csv'), Buffer.from('a,b\n'), Buffer.from(`\r\n--${BOUNDARY.slice(0, 10)}`)]))],
      ['no boundary in the Content-Type', () => send(multipartBody([{ name: 'a.csv', data: Buffer.from('a,b\n') }]), 'multipart/form-data')],
      ['not multipart at all', () => send(Buffer.from('{"a":1}'), 'application/octet-stream')],
      ['an empty field name', () => send(multipartBody([{ field: '', name: 'a.csv', data: Buffer.from('a,b\n') }]))],
      ['a part header flood (one huge header line)', () => send(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nX-Flood: ${'a'.repeat(64 * 1024)}\r\n`), partHeader('files', 'a.csv').subarray(BOUNDARY.length + 4), Buffer.from('a,b\n'), closing()]))],
      ['a part header flood (thousands of header lines)', () => send(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n` + 'X-A: b\r\n'.repeat(5000)), Buffer.from('Content-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\n'), Buffer.from('a,b\n'), closing()]))],
      ['a file part without a file name', () => send(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"\r\nContent-Type: application/octet-stream\r\n\r\n`), Buffer.from('a,b\n'), closing()]))],
      ['no file at all', () => send(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`))],
      ['garbage with a valid Content-Type', () => send(Buffer.from('\x00\x01garbage'.repeat(100)))],
    ];

    it.each(corpus)('%s → 400, nothing kept', async (_what, run) => {
      const rows = await dropRows(t);
      const before = (await storedObjects(t)).objects.length;
      const res = await run();
      expect(res.status).toBe(400);
      const s = await expectNothingKept(rows);
      expect(s.objects.length).toBe(before);
    });

    it('a connection dropped mid-file leaves no object and no temp file; the server keeps serving', async () => {
      const rows = await dropRows(t);
      const before = (await storedObjects(t)).objects.length;
      await dropMidFile();
      expect(await eventually(async () => (await storedObjects(t)).temp.length === 0)).toBe(true);
      expect((await storedObjects(t)).objects.length).toBe(before);
      expect(await dropRows(t)).toBe(rows);
      expect((await c.agent.get('/healthz')).status).toBe(200);
    });

    it('after the whole corpus, many times over, the process is up with fds and memory back near the baseline', async () => {
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      // Warm up once so lazily opened files (storage folders, modules) count in the baseline.
      for (const [, run] of corpus) await run();
      await dropMidFile();
      await settle();
      const fdBase = fds();
      const rssBase = process.memoryUsage().rss;
      for (let round = 0; round < 5; round++) {
        for (const [, run] of corpus) expect((await run()).status).toBe(400);
        await dropMidFile();
      }
      await settle();
      expect(fds()).toBeLessThanOrEqual(fdBase + 5);
      expect(process.memoryUsage().rss - rssBase).toBeLessThan(150 * 1024 * 1024);
      expect((await c.agent.get('/healthz')).status).toBe(200);
      expect((await storedObjects(t)).temp).toEqual([]);
    }, 120_000);

    async function settle() {
      await eventually(async () => (await storedObjects(t)).temp.length === 0);
      await new Promise((r) => setTimeout(r, 200));
    }

    /** Raw socket: headers, the start of a large file, then the socket is destroyed. */
    async function dropMidFile(): Promise<void> {
      const sock = net.connect(server.port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.on('error', () => {});
      const head = [
        `POST ${c.base}/drops HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        `Cookie: ${c.cookies}`,
        `X-CSRF-Token: ${c.csrf}`,
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
        `Content-Length: ${50 * 1024 * 1024}`,
        '',
        '',
      ].join('\r\n');
      sock.write(head);
      sock.write(partHeader('files', 'dropped.csv', 'text/csv'));
      for (const ch of csvBytes(3 * 1024 * 1024)) {
        if (!sock.write(ch)) await new Promise((r) => sock.once('drain', r));
      }
      // Give the server time to start its storage put (a temp file exists now).
      await eventually(async () => (await storedObjects(t)).temp.length > 0, 2000);
      sock.destroy();
    }
  });

  it('when the session is revoked while the file is still arriving → 401, nothing kept', async () => {
    const other = await clientInRoom(t, '取消株式会社');
    const rows = await dropRows(t);
    const before = (await storedObjects(t)).objects.length;
    let revoked = false;
    const res = await streamPost(
      server.port,
      `${other.base}/drops`,
      { cookie: other.cookies, 'x-csrf-token': other.csrf, accept: 'application/json' },
      oneFile('slow.csv', 8 * 1024 * 1024),
      async (sent) => {
        if (!revoked && sent > 2 * 1024 * 1024) {
          revoked = true;
          // Only once the server is storing (past the session and CSRF checks).
          await eventually(async () => (await storedObjects(t)).temp.length > 0, 5000);
          await destroyUserSessions(t.deps.db, other.user.id);
        }
      },
    );
    expect(revoked).toBe(true);
    expect(res.status).toBe(401);
    await expectNothingKept(rows);
    expect((await storedObjects(t)).objects.length).toBe(before);
  });

  it('an upload without the CSRF token → 403, nothing read into storage', async () => {
    const rows = await dropRows(t);
    const before = (await storedObjects(t)).objects.length;
    const res = await c.agent.post(`${c.base}/drops`).set('Accept', 'application/json').attach('files', fixture('sample_roster.csv'), 'roster.csv');
    expect(res.status).toBe(403);
    const wrong = await c.agent.post(`${c.base}/drops?_csrf=not-the-token`).attach('files', fixture('sample_roster.csv'), 'roster.csv');
    expect(wrong.status).toBe(403);
    await expectNothingKept(rows);
    expect((await storedObjects(t)).objects.length).toBe(before);
  });
});

describe('drops: a failing database write leaves no orphan object', () => {
  it('when the drop row cannot be committed, the stored object is deleted and the client gets an error', async () => {
    const t = await makeTestApp();
    try {
      await installOfficeKey(t.deps);
      const c = await clientInRoom(t);
      // Failure injection: the audit head is gone, so the audit append in the
      // commit transaction fails and the drop rows roll back with it.
      await t.deps.db.schema.dropTable('audit_head').execute();
      const res = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', fixture('sample_roster.csv'), 'roster.csv');
      expect(res.status).toBe(500);
      const s = await storedObjects(t);
      expect(s).toEqual({ objects: [], temp: [] });
      expect(await dropRows(t)).toBe(0);
    } finally {
      await t.close();
    }
  });
});
