import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import request from 'supertest';
import { binaryBody } from '../helpers/binary-body.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

describe('signed download links of local storage (/files/…)', () => {
  let t: TestApp;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  beforeAll(async () => {
    t = await makeTestApp({}, { clock });
    await t.deps.storage.drops.put('dl-test', Readable.from([Buffer.from('ciphertext bytes')]));
    await t.deps.storage.vault.put('abcdef0123456789abcdef0123456789', Readable.from([Buffer.from('vault record')]));
  });
  afterAll(async () => {
    await t.close();
  });

  const pathOf = (url: string) => url.replace(t.deps.config.publicUrl, '');

  it('a fresh link downloads the bytes with a safe file name, without a session', async () => {
    const url = await t.deps.storage.drops.downloadUrl('dl-test', 60, { filename: '受付票.pgp' });
    const res = await request(t.app).get(pathOf(url)).buffer(true).parse(binaryBody);
    expect(res.status).toBe(200);
    expect((res.body as Buffer).toString()).toBe('ciphertext bytes');
    expect(res.headers['content-disposition']).toContain("filename*=UTF-8''");
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a tampered link answers exactly like an unknown URL; an expired genuine one says it expired', async () => {
    const url = pathOf(await t.deps.storage.drops.downloadUrl('dl-test', 60));
    const random = await request(t.app).get('/files/drops/nothing-here?exp=1&sig=x');
    const tampered = await request(t.app).get(url.replace(/sig=./, 'sig=A'));
    const shortUrl = pathOf(await t.deps.storage.drops.downloadUrl('dl-test', 1));
    expect((await request(t.app).get(shortUrl)).status).toBe(200);
    offsetMs = 5_000;
    const expired = await request(t.app).get(shortUrl);
    offsetMs = 0;
    const strip = (html: string) => html.replace(/<code>[0-9a-f]+<\/code>/, '').replace(/content="[0-9a-f.]{100,}"/, '');
    for (const r of [random, tampered]) {
      expect(r.status).toBe(404);
      expect(strip(r.text)).toBe(strip(random.text));
    }
    // Its signature was checked first, so saying "expired" tells nobody anything they did not hold already.
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('有効期限が過ぎました');
    expect(expired.text).not.toContain('ciphertext bytes');
  });

  it('vault records are never served by link, even with a valid signature', async () => {
    const url = await t.deps.storage.vault.downloadUrl('abcdef0123456789abcdef0123456789', 60);
    const res = await request(t.app).get(pathOf(url));
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('vault record');
  });
});
