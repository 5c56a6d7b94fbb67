import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verify } from 'node:crypto';
import request from 'supertest';
import { canonicalJson } from '../../server/drops/receipts.js';
import { hashPassword } from '../../server/lib/passwords.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { FakeClock } from '../helpers/clock.js';
import { otplibCode } from '../helpers/login.js';
import { fixture, installOfficeKey, storedObjects } from './helpers.js';

/**
 * The HTTP API for scripts, end to end: log in with the room's access key,
 * login id, password and a TOTP code → bearer token → upload → signed JSON
 * receipts → log out. No cookies and no CSRF token are involved.
 */
describe.each(testDatabases())('drops: HTTP API for scripts (on $name)', (target) => {
  let t: TestApp;
  let opened: OpenedTestDatabase;
  const clock = new FakeClock();
  let company: { id: string; accessKey: string };
  let user: MadeUser;

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {}, { clock });
    await installOfficeKey(t.deps);
    company = await makeCompany(t.deps, 'スクリプト株式会社');
    user = await makeUser(t.deps, { role: 'client', companyId: company.id });
  });
  afterAll(async () => {
    await t.close();
    await opened.cleanup();
  });

  /** A fresh TOTP step for every login (each code is good once). */
  async function login(over: Partial<Record<'accessKey' | 'loginId' | 'password' | 'totp', string>> = {}, who = user, key = company.accessKey) {
    clock.nextStep();
    const totp = await otplibCode(who.totpSecret, clock.now());
    return request(t.app).post('/api/v1/session').send({ accessKey: key, loginId: who.loginId, password: who.password, totp, ...over });
  }

  it('a script logs in, uploads, reads its receipt and logs out — without cookies or CSRF tokens', async () => {
    const session = await login();
    expect(session.status).toBe(201);
    expect(session.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(session.body.expiresAt)).toBeGreaterThan(clock.now().getTime());
    expect(Date.parse(session.body.absoluteExpiresAt)).toBeGreaterThanOrEqual(Date.parse(session.body.expiresAt));
    const auth = `Bearer ${session.body.token}`;

    const up = await request(t.app)
      .post('/api/v1/drops')
      .set('Authorization', auth)
      .attach('file', fixture('sample_roster.csv'), '社員名簿.csv')
      .attach('file', fixture('sample_list.pdf'), 'list.pdf');
    expect(up.status).toBe(201);
    // No session, pre-session or CSRF cookie: a script needs no cookie jar.
    expect(([] as string[]).concat(up.headers['set-cookie'] ?? []).filter((c) => /^kinko_(sid|pre|csrf)=/.test(c))).toEqual([]);
    expect(up.body.drops.map((d: { receipt: { fileName: string } }) => d.receipt.fileName)).toEqual(['社員名簿.csv', 'list.pdf']);
    const first = up.body.drops[0];
    expect(first.receiptUrl).toBe(`/api/v1/drops/${first.receipt.dropId}/receipt`);

    const receipt = await request(t.app).get(first.receiptUrl).set('Authorization', auth);
    expect(receipt.status).toBe(200);
    expect(receipt.body.receipt).toEqual(first.receipt);
    expect(verify(null, Buffer.from(canonicalJson(receipt.body.receipt)), receipt.body.publicKey, Buffer.from(receipt.body.signature, 'base64url'))).toBe(true);

    const list = await request(t.app).get('/api/v1/drops').set('Authorization', auth);
    expect(list.body.drops.map((d: { receipt: { dropId: string } }) => d.receipt.dropId)).toEqual(expect.arrayContaining(up.body.drops.map((d: { receipt: { dropId: string } }) => d.receipt.dropId)));

    const out = await request(t.app).delete('/api/v1/session').set('Authorization', auth);
    expect(out.status).toBe(204);
    const after = await request(t.app).get('/api/v1/drops').set('Authorization', auth);
    expect(after.status).toBe(401);
    expect(after.body.error.status).toBe(401);
  });

  it('the login also takes a form body and the whole room URL as the access key', async () => {
    clock.nextStep();
    const totp = await otplibCode(user.totpSecret, clock.now());
    const res = await request(t.app)
      .post('/api/v1/session')
      .type('form')
      .send({ accessKey: `https://kinko.example.jp/room/${company.accessKey}`, loginId: user.loginId, password: user.password, totp });
    expect(res.status).toBe(201);
  });

  it('every wrong part (key, id, password, code, replayed code) gets the same 401 answer', async () => {
    const answers = [
      await login({ accessKey: 'A'.repeat(32) }),
      await login({ loginId: 'client-nobody' }),
      await login({ password: 'wrong password 123' }),
      await login({ totp: '000000' }),
      await login({ accessKey: '' }),
    ];
    // A code that was just used (same step) is refused like the rest.
    const ok = await login();
    expect(ok.status).toBe(201);
    const totp = await otplibCode(user.totpSecret, clock.now());
    answers.push(await request(t.app).post('/api/v1/session').send({ accessKey: company.accessKey, loginId: user.loginId, password: user.password, totp }));
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect({ ...a.body.error, requestId: '' }).toEqual({ ...answers[0]!.body.error, requestId: '' });
    }
    expect(answers[0]!.body.error.message).toContain('ログインできませんでした');
  });

  it('another company\'s client cannot log in through this room, and a token of another company sees 404 for these drops', async () => {
    const other = await makeCompany(t.deps, '他社株式会社');
    const otherUser = await makeUser(t.deps, { role: 'client', companyId: other.id });
    expect((await login({}, otherUser, company.accessKey)).status).toBe(401);
    const mine = await login();
    const up = await request(t.app).post('/api/v1/drops').set('Authorization', `Bearer ${mine.body.token}`).attach('file', fixture('sample_roster.csv'), 'a.csv');
    const id = up.body.drops[0].receipt.dropId;
    const theirs = await login({}, otherUser, other.accessKey);
    expect(theirs.status).toBe(201);
    const res = await request(t.app).get(`/api/v1/drops/${id}/receipt`).set('Authorization', `Bearer ${theirs.body.token}`);
    const random = await request(t.app).get('/api/v1/drops/AAAAAAAAAAAAAAAAAAAAAA/receipt').set('Authorization', `Bearer ${theirs.body.token}`);
    expect(res.status).toBe(404);
    expect({ ...res.body.error, requestId: '' }).toEqual({ ...random.body.error, requestId: '' });
  });

  it('a client still on its initial password must finish the first login in the browser; the API does not spend that password', async () => {
    const fresh = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const expires = new Date(clock.now().getTime() + 3_600_000).toISOString();
    await t.deps.db
      .updateTable('users')
      .set({ password_is_initial: 1, initial_expires_at: expires, totp_enrolled: 0, password_hash: await hashPassword(fresh.password) })
      .where('id', '=', fresh.id)
      .execute();
    const res = await request(t.app).post('/api/v1/session').send({ accessKey: company.accessKey, loginId: fresh.loginId, password: fresh.password, totp: '' });
    expect(res.status).toBe(401);
    const row = await t.deps.db.selectFrom('users').select('initial_expires_at').where('id', '=', fresh.id).executeTakeFirstOrThrow();
    expect(row.initial_expires_at).toBe(expires);
  });

  it('uploads without a token, with a bad token, or a token on a room page are refused; nothing is kept', async () => {
    const before = (await storedObjects(t)).objects.length;
    expect((await request(t.app).post('/api/v1/drops').attach('file', fixture('sample_roster.csv'), 'a.csv')).status).toBe(401);
    expect((await request(t.app).post('/api/v1/drops').set('Authorization', 'Bearer nope').attach('file', fixture('sample_roster.csv'), 'a.csv')).status).toBe(401);
    const s = await login();
    // Bearer tokens are for /api/ only: the room's pages still need the cookie session.
    const room = await request(t.app).get(`/room/${company.accessKey}/drops`).set('Accept', 'application/json').set('Authorization', `Bearer ${s.body.token}`);
    expect(room.status).toBe(401);
    expect((await storedObjects(t)).objects.length).toBe(before);
  });

  it('an API request that carries a session cookie is CSRF-checked like any browser request; other cookies do not matter', async () => {
    const s = await login();
    const withSession = await request(t.app)
      .post('/api/v1/drops')
      .set('Authorization', `Bearer ${s.body.token}`)
      .set('Cookie', 'kinko_sid=abc')
      .attach('file', fixture('sample_roster.csv'), 'a.csv');
    expect(withSession.status).toBe(403);
    const withLanguage = await request(t.app)
      .post('/api/v1/drops')
      .set('Authorization', `Bearer ${s.body.token}`)
      .set('Cookie', 'kinko_lang=ja; kinko_pre=abc')
      .attach('file', fixture('sample_roster.csv'), 'a.csv');
    expect(withLanguage.status).toBe(201);
  });

  it('the API answers refusals as JSON with a plain message (415 for a refused type)', async () => {
    const s = await login();
    const res = await request(t.app).post('/api/v1/drops').set('Authorization', `Bearer ${s.body.token}`).attach('file', Buffer.from('MZ\0\0'), 'a.exe');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('drops.errors.unsupportedType');
    expect(res.body.error.message).toContain('受け付けていません');
  });
});
