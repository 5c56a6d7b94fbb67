import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cleanFileName, MAX_NAME_CHARS } from '../../server/drops/file-name.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { BOUNDARY, browserEncrypt, clientInRoom, closing, fixture, installOfficeKey, type RoomClient, type TestOfficeKey } from './helpers.js';

/**
 * File names are metadata for people: kept (cleaned) and shown escaped, never
 * used as a path. Japanese names survive exactly; display tricks do not.
 */
describe('drops: file names', () => {
  let t: TestApp;
  let office: TestOfficeKey;
  let c: RoomClient;
  const csv = fixture('sample_roster.csv');

  beforeAll(async () => {
    t = await makeTestApp();
    office = await installOfficeKey(t.deps);
    c = await clientInRoom(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A raw part header, so the name reaches the server exactly as written here. */
  function rawUpload(disposition: string, data: Buffer) {
    const body = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
      data,
      closing(),
    ]);
    return c.agent
      .post(`${c.base}/drops`)
      .set('X-CSRF-Token', c.csrf)
      .set('Accept', 'application/json')
      .set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`)
      .send(body);
  }

  /** RFC 5987 value: percent-encoding that also covers ! ' ( ) *. */
  const rfc5987 = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

  const storedName = async (dropId: string) =>
    (await t.deps.db.selectFrom('drops').select('file_name').where('id', '=', dropId).executeTakeFirstOrThrow()).file_name;

  it('a Japanese name round-trips exactly: receipt, database, history page', async () => {
    const name = '従業員名簿（2026年度）.xlsx';
    const res = await c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', fixture('sample_title_rows.xlsx'), name);
    expect(res.status).toBe(201);
    const id = res.body.drops[0].receipt.dropId;
    expect(res.body.drops[0].receipt.fileName).toBe(name);
    expect(await storedName(id)).toBe(name);
    expect((await c.agent.get(`${c.base}/drops`)).text).toContain(name);
    expect((await c.agent.get(`${c.base}/drops/${id}`)).text).toContain(name);
  });

  it('the RFC 5987 form (filename*=UTF-8\'\'…) gives the same name', async () => {
    const name = '扶養控除申告書.csv';
    const res = await rawUpload(`filename*=UTF-8''${rfc5987(name)}`, csv);
    expect(res.status).toBe(201);
    expect(res.body.drops[0].receipt.fileName).toBe(name);
  });

  it('a decomposed (macOS NFD) name is kept in composed form (NFC)', async () => {
    const nfd = 'ガイダンス資料.csv'.normalize('NFD');
    const res = await rawUpload(`filename="${nfd}"`, csv);
    expect(res.status).toBe(201);
    expect(res.body.drops[0].receipt.fileName).toBe('ガイダンス資料.csv'.normalize('NFC'));
  });

  it('a path (../../etc/passwd.csv, C:\\…\\a.csv) keeps only its last part; the storage key is random regardless', async () => {
    const a = await rawUpload('filename="../../etc/passwd.csv"', csv);
    expect(a.status).toBe(201);
    expect(a.body.drops[0].receipt.fileName).toBe('passwd.csv');
    const b = await rawUpload('filename="C:\\\\Users\\\\x\\\\..\\\\a.csv"', csv);
    expect(b.status).toBe(201);
    expect(b.body.drops[0].receipt.fileName).toBe('a.csv');
    const row = await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', a.body.drops[0].receipt.dropId).executeTakeFirstOrThrow();
    expect(row.stored_key).toMatch(/^d[A-Za-z0-9_-]{24}$/);
  });

  it('../../etc/passwd without an allowed extension is refused as a type, not treated as a path', async () => {
    const res = await rawUpload('filename="../../etc/passwd"', csv);
    expect(res.status).toBe(415);
  });

  it('an encrypted file named ../../etc/passwd is stored under a random key with the name "passwd"', async () => {
    const res = await rawUpload('filename="../../etc/passwd"', await browserEncrypt(office.publicKey, csv));
    expect(res.status).toBe(201);
    expect(res.body.drops[0].receipt.fileName).toBe('passwd');
  });

  it('a raw NUL in the part header is malformed (400); NUL and control characters arriving encoded are removed', async () => {
    const res = await rawUpload('filename="roster\u0000\u0007.csv"', csv);
    expect(res.status).toBe(400);
    const enc = await rawUpload(`filename*=UTF-8''${rfc5987('名簿\u0000\u001b[31m.csv')}`, csv);
    expect(enc.status).toBe(201);
    expect(enc.body.drops[0].receipt.fileName).toBe('名簿[31m.csv');
  });

  it('a right-to-left override (U+202E) is removed, so the name cannot disguise its extension', async () => {
    const res = await rawUpload(`filename*=UTF-8''${rfc5987('report\u202Egpj.csv')}`, csv);
    expect(res.status).toBe(201);
    expect(res.body.drops[0].receipt.fileName).toBe('reportgpj.csv');
  });

  it(`a 300-character name is cut to ${MAX_NAME_CHARS} characters, keeping the extension`, async () => {
    const long = `${'長'.repeat(296)}.csv`;
    const res = await rawUpload(`filename*=UTF-8''${rfc5987(long)}`, csv);
    expect(res.status).toBe(201);
    const kept = res.body.drops[0].receipt.fileName as string;
    expect([...kept].length).toBe(MAX_NAME_CHARS);
    expect(kept.endsWith('.csv')).toBe(true);
  });

  it('markup in a name is shown as text on every page (escaped), never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>.csv';
    const res = await c.agent
      .post(`${c.base}/drops?_csrf=${encodeURIComponent(c.csrf)}`)
      .set('Accept', 'text/html')
      .attach('files', csv, name);
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;.csv');
    const history = await c.agent.get(`${c.base}/drops`);
    expect(history.text).not.toContain('<img src=x');
    expect(history.text).toContain('&lt;img src=x onerror=alert(1)&gt;.csv');
  });

  it('<script>alert(1)</script>.csv: the slash makes it a path, the rest is shown escaped', async () => {
    const res = await rawUpload(`filename*=UTF-8''${rfc5987('<script>alert(1)</script>.csv')}`, csv);
    expect(res.status).toBe(201);
    const id = res.body.drops[0].receipt.dropId;
    const page = await c.agent.get(`${c.base}/drops/${id}`);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).toContain(`${res.body.drops[0].receipt.fileName.replace(/>/g, '&gt;').replace(/</g, '&lt;')}`);
  });

  it('cleanFileName, directly: empty and dot names become empty (refused as "no name")', () => {
    expect(cleanFileName('..')).toBe('');
    expect(cleanFileName('\u202E')).toBe('');
    expect(cleanFileName(undefined)).toBe('');
    expect(cleanFileName('a/b\\c.csv')).toBe('c.csv');
  });
});
