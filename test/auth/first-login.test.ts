import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { hashPassword } from '../../server/lib/passwords.js';
import { limits } from '../../server/config.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfOf, freshIp, oathCode, officeLogin, roomLogin, type Agent } from '../helpers/login.js';
import { FakeClock } from '../helpers/clock.js';

const FAILED = 'ログインID、パスワード、または確認コードが正しくありません';

describe('first login: initial password → own password + authenticator app', () => {
  let t: TestApp;
  const clock = new FakeClock();
  let company: { id: string; accessKey: string };

  beforeAll(async () => {
    t = await makeTestApp({ KINKO_TRUST_PROXY: 'true' }, { clock });
    company = await makeCompany(t.deps);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A user as the office issues them: initial password, no authenticator yet. */
  async function issued(role: 'client' | 'staff', expiresInMs = limits.password.initialTtlMs): Promise<MadeUser> {
    const u = await makeUser(t.deps, { role, companyId: role === 'client' ? company.id : undefined });
    await t.deps.db
      .updateTable('users')
      .set({
        password_hash: await hashPassword(u.password),
        password_is_initial: 1,
        initial_expires_at: new Date(clock.now().getTime() + expiresInMs).toISOString(),
        totp_enrolled: 0,
        totp_secret_sealed: null,
      })
      .where('id', '=', u.id)
      .execute();
    return u;
  }

  const secretOf = (html: string) => /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');

  async function enrol(agent: Agent, base: string, fields: Record<string, string>) {
    const page = await agent.get(`${base}/welcome`);
    return agent.post(`${base}/welcome`).type('form').send({ _csrf: csrfOf(page.text), ...fields });
  }

  it('the client signs in with the initial password alone, sets a password, enrols TOTP, and lands in the room', async () => {
    const base = `/room/${company.accessKey}`;
    const u = await issued('client');
    const agent = request.agent(t.app);
    const first = await roomLogin(agent, company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`${base}/welcome`);
    const enrolSid = /kinko_sid=([^;]+)/.exec(String(first.headers['set-cookie']))![1]!;

    // Nothing else is open to an enrol session.
    expect((await agent.get(base)).headers.location).toBe(`${base}/welcome`);
    expect((await agent.get(`${base}/sessions`)).status).toBe(303);

    const page = await agent.get(`${base}/welcome`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const secret = secretOf(page.text);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    const newPassword = 'あたらしい合言葉 with spaces!';
    const good = { newPassword, newPassword2: newPassword, code: oathCode(secret, clock.now()) };
    const tooShort = await enrol(agent, base, { ...good, newPassword: 'short', newPassword2: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.text).toContain(`${limits.password.minLength}文字以上`);
    const mismatch = await enrol(agent, base, { ...good, newPassword2: `${newPassword}.` });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('一致しません');
    const same = await enrol(agent, base, { ...good, newPassword: u.password, newPassword2: u.password });
    expect(same.status).toBe(400);
    expect(same.text).toContain('初期パスワードとは別');
    const wrongCode = await enrol(agent, base, { ...good, code: good.code === '123456' ? '654321' : '123456' });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.text).toContain('確認コードが正しくありません');
    expect(secretOf(wrongCode.text)).toBe(secret); // the same seed until enrolment succeeds

    const done = await enrol(agent, base, good);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(base);
    const fullSid = /kinko_sid=([^;]+)/.exec(String(done.headers['set-cookie']))![1]!;
    expect(fullSid).not.toBe(enrolSid);
    expect((await agent.get(base)).text).toContain('事務所にファイルを送る');
    // the enrol session is gone
    const old = await request(t.app).get(`${base}/welcome`).set('Cookie', `kinko_sid=${enrolSid}`);
    expect(old.status).toBe(303);
    expect(old.headers.location).toBe(base);

    // The initial password never works again; the new one does, with a fresh code.
    clock.nextStep();
    expect((await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password }, freshIp())).status).toBe(401);
    // the code that confirmed enrolment was claimed: it cannot be replayed
    expect((await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: newPassword, totp: good.code }, freshIp())).status).toBe(401);
    const again = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: newPassword, totp: oathCode(secret, clock.now()) }, freshIp());
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(base);

    const trail = await t.deps.db.selectFrom('audit_log').select('action').where('actor_id', '=', u.id).execute();
    expect(trail.map((r) => r.action)).toContain('auth.enrolled');

    // Nothing secret reached the logs or the audit trail.
    const audit = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
    for (const s of [u.password, newPassword, secret, good.code, enrolSid, fullSid, company.accessKey]) {
      expect(t.logs.text).not.toContain(s);
      expect(audit).not.toContain(s);
    }
  });

  it('the initial password is single use: a second login with it fails, even before enrolment is finished', async () => {
    const u = await issued('client');
    const one = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect(one.status).toBe(303);
    const two = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect(two.status).toBe(401);
    expect(two.text).toContain(FAILED);
  });

  it('an expired initial password gets the same failure as anything else', async () => {
    const u = await issued('client', 60_000);
    clock.advance(60_000);
    const res = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect(res.status).toBe(401);
    expect(res.text).toContain(FAILED);
  });

  it('an enrolled account with a password but no authenticator cannot enrol one with the password alone', async () => {
    const u = await makeUser(t.deps, { role: 'client', companyId: company.id });
    await t.deps.db.updateTable('users').set({ totp_enrolled: 0 }).where('id', '=', u.id).execute();
    const res = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect(res.status).toBe(401);
  });

  it('staff enrol the same way at /office/welcome and land in /office', async () => {
    const u = await issued('staff');
    const agent = request.agent(t.app);
    const first = await officeLogin(agent, { loginId: u.loginId, password: u.password }, freshIp());
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/office/welcome');
    expect((await agent.get('/office/login')).headers.location).toBe('/office/welcome');
    const page = await agent.get('/office/welcome');
    const secret = secretOf(page.text);
    const pw = 'staff-own-password-2025';
    const done = await agent
      .post('/office/welcome')
      .type('form')
      .send({ _csrf: csrfOf(page.text), newPassword: pw, newPassword2: pw, code: oathCode(secret, clock.now()) });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/office');
    expect((await agent.get('/office/sessions')).status).toBe(200);
  });

  it('a client enrol session does not open the office welcome, nor another room', async () => {
    const u = await issued('client');
    const agent = request.agent(t.app);
    await roomLogin(agent, company.accessKey, { loginId: u.loginId, password: u.password }, freshIp());
    expect((await agent.get('/office/welcome')).headers.location).toBe('/office/login');
    const other = await makeCompany(t.deps, '別の会社');
    const there = await agent.get(`/room/${other.accessKey}/welcome`);
    expect(there.status).toBe(303);
    expect(there.headers.location).toBe(`/room/${other.accessKey}`);
  });
});
