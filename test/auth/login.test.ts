import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { freshIp, oathCode, officeLogin, roomLogin, withoutTokens, csrfOf, type Agent } from '../helpers/login.js';

const FAILED = 'ログインID、パスワード、または確認コードが正しくありません';

describe('signing in and out', () => {
  let t: TestApp;
  const clock = new FakeClock();
  let company: { id: string; accessKey: string; name: string };
  let other: { id: string; accessKey: string; name: string };

  beforeAll(async () => {
    t = await makeTestApp({ KINKO_TRUST_PROXY: 'true' }, { clock });
    company = await makeCompany(t.deps, '株式会社さくら');
    other = await makeCompany(t.deps, '株式会社もみじ');
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every secret the suite handled; none may show up in any log line (checked last). */
  const secrets: string[] = [];
  const client = async () => {
    const u = await makeUser(t.deps, { role: 'client', companyId: company.id });
    secrets.push(u.password, u.totpSecret);
    return u;
  };
  const code = (u: MadeUser) => oathCode(u.totpSecret, clock.now());
  async function signIn(u: MadeUser, agent: Agent = request.agent(t.app), ip = freshIp()) {
    clock.nextStep();
    const res = await roomLogin(agent, company.accessKey, { loginId: u.loginId, password: u.password, totp: code(u) }, ip);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/room/${company.accessKey}`);
    secrets.push(/kinko_sid=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!);
    return { agent, res };
  }

  describe('the room', () => {
    it('when a client opens the bookmarked room, it sees a Japanese login form with ID, password and 6-digit code', async () => {
      const res = await request(t.app).get(`/room/${company.accessKey}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('株式会社さくら');
      expect(res.text).toContain('name="loginId"');
      expect(res.text).toContain('name="password"');
      expect(res.text).toContain('name="totp"');
      expect(res.text).toContain('ログインID');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toContain('style=');
    });

    it('when the client logs in with ID, password and code, it lands in its room page', async () => {
      const u = await client();
      const { agent } = await signIn(u);
      const room = await agent.get(`/room/${company.accessKey}`);
      expect(room.status).toBe(200);
      expect(room.text).toContain('事務所にファイルを送る');
      expect(room.text).toContain(`/room/${company.accessKey}/sessions`);
      expect(room.text).toContain(`/room/${company.accessKey}/logout`);
      expect(room.text).toContain(`/room/${company.accessKey}/logout-everywhere`);
      expect(room.headers['cache-control']).toBe('no-store');
      expect(room.headers['referrer-policy']).toBe('no-referrer');
    });

    it('a wrong, rotated or revoked key answers exactly like any unknown address', async () => {
      const random = await request(t.app).get('/no/such/page');
      const wrong = await request(t.app).get(`/room/${'A'.repeat(32)}`);
      const junk = await request(t.app).get('/room/short');
      const revoked = await makeCompany(t.deps, '株式会社かえで');
      await t.deps.db.updateTable('companies').set({ status: 'revoked' }).where('id', '=', revoked.id).execute();
      const gone = await request(t.app).get(`/room/${revoked.accessKey}`);
      const agent = request.agent(t.app);
      const token = csrfOf((await agent.get('/')).text);
      const post = await agent.post(`/room/${'A'.repeat(32)}/login`).type('form').send({ _csrf: token, loginId: 'x', password: 'y' });
      const postRandom = await agent.post('/no/such/page').type('form').send({ _csrf: token, loginId: 'x', password: 'y' });
      expect(postRandom.status).toBe(404);
      // The error page carries a per-request id; everything else must be the same.
      const norm = (html: string) => withoutTokens(html).replace(/<code>[0-9a-f]+<\/code>/, '<code></code>');
      for (const res of [wrong, junk, gone, post]) {
        expect(res.status).toBe(404);
        expect(norm(res.text)).toBe(norm(random.text));
      }
    });

    it('a session of another company counts as not signed in for this room', async () => {
      const u = await makeUser(t.deps, { role: 'client', companyId: other.id });
      clock.nextStep();
      const agent = request.agent(t.app);
      const ok = await roomLogin(agent, other.accessKey, { loginId: u.loginId, password: u.password, totp: code(u) }, freshIp());
      expect(ok.status).toBe(303);
      const here = await agent.get(`/room/${company.accessKey}`);
      expect(here.status).toBe(200);
      expect(here.text).toContain('name="password"');
      expect(here.text).not.toContain('事務所にファイルを送る');
      expect((await agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(404);
      // and the client's credentials do not open the other room
      clock.nextStep();
      const cross = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password, totp: code(u) }, freshIp());
      expect(cross.status).toBe(401);
    });
  });

  describe('uniform failure', () => {
    it('wrong ID, wrong password, wrong code, missing code, office user in a room: same status, same page', async () => {
      const u = await client();
      const staff = await makeUser(t.deps, { role: 'staff' });
      clock.nextStep();
      const good = code(u);
      const wrongCode = good === '000000' ? '111111' : '000000';
      const agent = request.agent(t.app);
      const ip = freshIp();
      const tries = [
        { loginId: 'client-nobody', password: u.password, totp: good },
        { loginId: u.loginId, password: u.password + 'x', totp: good },
        { loginId: u.loginId, password: u.password, totp: wrongCode },
        { loginId: u.loginId, password: u.password, totp: '' },
        { loginId: staff.loginId, password: staff.password, totp: oathCode(staff.totpSecret, clock.now()) },
      ];
      const answers = [];
      for (const f of tries) answers.push(await roomLogin(agent, company.accessKey, f, ip));
      for (const a of answers) {
        expect(a.status).toBe(401);
        expect(a.text).toContain(FAILED);
        expect(withoutTokens(a.text)).toBe(withoutTokens(answers[0]!.text));
        expect(a.headers['set-cookie']?.toString() ?? '').not.toContain('kinko_sid=');
      }
      // the typed login id is not echoed back (nothing differs between "unknown" and "known")
      expect(answers[1]!.text).not.toContain(u.loginId);
    });

    it('a revoked client gets the same failure, even with everything right', async () => {
      const u = await client();
      await t.deps.db.updateTable('users').set({ status: 'revoked' }).where('id', '=', u.id).execute();
      clock.nextStep();
      const res = await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password, totp: code(u) }, freshIp());
      expect(res.status).toBe(401);
      expect(res.text).toContain(FAILED);
    });
  });

  describe('sessions and cookies', () => {
    it('the pre-login id and any session the browser held before are dead after login (no fixation)', async () => {
      const u = await client();
      const agent = request.agent(t.app);
      const before = await agent.get(`/room/${company.accessKey}`);
      const pre = /kinko_pre=([^;]+)/.exec(String(before.headers['set-cookie']))![1]!;
      const { res } = await signIn(u, agent);
      const sid = /kinko_sid=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
      expect(sid).not.toBe(pre);
      expect(String(res.headers['set-cookie'])).toMatch(/kinko_pre=;/);
      // An attacker who planted the pre-login cookie (or guessed it as a session id) gets nothing.
      for (const planted of [`kinko_pre=${pre}`, `kinko_sid=${pre}`]) {
        const r = await request(t.app).get(`/room/${company.accessKey}`).set('Cookie', planted);
        expect(r.text).toContain('name="password"');
      }
      // A second login replaces the first session: the first id no longer works.
      await signIn(u, agent);
      const old = await request(t.app).get(`/room/${company.accessKey}`).set('Cookie', `kinko_sid=${sid}`);
      expect(old.text).toContain('name="password"');
    });

    it('the session cookie is HttpOnly and SameSite=Lax, and not Secure over plain http', async () => {
      const { res } = await signIn(await client());
      const c = (res.headers['set-cookie'] as unknown as string[]).find((x) => x.startsWith('kinko_sid='))!;
      expect(c).toMatch(/HttpOnly/);
      expect(c).toMatch(/SameSite=Lax/);
      expect(c).not.toMatch(/Secure/);
    });

    it('when logging out, the session ends and replaying the old cookie gets the login form', async () => {
      const u = await client();
      const { agent, res } = await signIn(u);
      const sid = /kinko_sid=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
      const page = await agent.get(`/room/${company.accessKey}`);
      const out = await agent.post(`/room/${company.accessKey}/logout`).type('form').send({ _csrf: csrfOf(page.text) });
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe(`/room/${company.accessKey}?bye=1`);
      const bye = await agent.get(out.headers.location!);
      expect(bye.text).toContain('ログアウトしました');
      const replay = await request(t.app).get(`/room/${company.accessKey}`).set('Cookie', `kinko_sid=${sid}`);
      expect(replay.text).toContain('name="password"');
      expect(await t.deps.db.selectFrom('sessions').select('id_hash').where('user_id', '=', u.id).execute()).toEqual([]);
    });

    it('"log out everywhere" ends every session of the person, on every device', async () => {
      const u = await client();
      const a = await signIn(u);
      const b = await signIn(u);
      const list = await a.agent.get(`/room/${company.accessKey}/sessions`);
      expect(list.status).toBe(200);
      expect(list.text).toContain('この端末');
      expect((list.text.match(/<tr class="current"/g) ?? []).length).toBe(1);
      expect((list.text.match(/<tbody>[\s\S]*?<\/tbody>/)![0].match(/<tr/g) ?? []).length).toBe(2);
      const out = await a.agent.post(`/room/${company.accessKey}/logout-everywhere`).type('form').send({ _csrf: csrfOf(list.text) });
      expect(out.status).toBe(303);
      for (const x of [a, b]) expect((await x.agent.get(`/room/${company.accessKey}`)).text).toContain('name="password"');
      const trail = await t.deps.db.selectFrom('audit_log').select('action').where('actor_id', '=', u.id).execute();
      expect(trail.map((r) => r.action)).toContain('auth.logout_everywhere');
    });

    it('revoking the user, or the company, kills the live session at the next request', async () => {
      const u = await client();
      const { agent } = await signIn(u);
      await t.deps.db.updateTable('users').set({ status: 'revoked' }).where('id', '=', u.id).execute();
      expect((await agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(303);

      const c2 = await makeCompany(t.deps, '株式会社いちょう');
      const u2 = await makeUser(t.deps, { role: 'client', companyId: c2.id });
      clock.nextStep();
      const agent2 = request.agent(t.app);
      await roomLogin(agent2, c2.accessKey, { loginId: u2.loginId, password: u2.password, totp: code(u2) }, freshIp());
      expect((await agent2.get(`/room/${c2.accessKey}/sessions`)).status).toBe(200);
      await t.deps.db.updateTable('companies').set({ status: 'revoked' }).where('id', '=', c2.id).execute();
      expect((await agent2.get(`/room/${c2.accessKey}/sessions`)).status).toBe(303);
      expect(await t.deps.db.selectFrom('sessions').select('id_hash').where('user_id', '=', u2.id).execute()).toEqual([]);
    });

    it('a client session ends after 30 idle minutes, and any session after 12 hours', async () => {
      const u = await client();
      const { agent } = await signIn(u);
      clock.advance(limits.session.clientIdleMs - 60_000);
      expect((await agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(200);
      clock.advance(limits.session.clientIdleMs + 1000);
      expect((await agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(303);

      const again = await signIn(u);
      const started = clock.now().getTime();
      while (clock.now().getTime() - started < limits.session.absoluteMs - 20 * 60_000) {
        clock.advance(20 * 60_000);
        expect((await again.agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(200);
      }
      clock.advance(25 * 60_000);
      expect((await again.agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(303);
    });

    it('an office session ends after 15 idle minutes', async () => {
      const s = await makeUser(t.deps, { role: 'staff' });
      clock.nextStep();
      const agent = request.agent(t.app);
      const res = await officeLogin(agent, { loginId: s.loginId, password: s.password, totp: oathCode(s.totpSecret, clock.now()) }, freshIp());
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/office');
      clock.advance(limits.session.officeIdleMs - 60_000);
      const list = await agent.get('/office/sessions');
      expect(list.status).toBe(200);
      expect(list.headers['cache-control']).toBe('no-store');
      clock.advance(limits.session.officeIdleMs + 1000);
      expect((await agent.get('/office/sessions')).status).toBe(303);
    });

    it('a POST without a CSRF token is refused with 403 and a plain message', async () => {
      const u = await client();
      const { agent } = await signIn(u);
      const res = await agent.post(`/room/${company.accessKey}/logout-everywhere`).type('form').send({});
      expect(res.status).toBe(403);
      expect(res.text).toContain('画面の有効期限が切れました');
      const login = await request(t.app).post(`/room/${company.accessKey}/login`).type('form').send({ loginId: u.loginId, password: u.password });
      expect(login.status).toBe(403);
      // still signed in: nothing happened
      expect((await agent.get(`/room/${company.accessKey}/sessions`)).status).toBe(200);
    });
  });

  describe('office login', () => {
    it('staff and director log in at /office/login; a client ID there fails like any other', async () => {
      const d = await makeUser(t.deps, { role: 'director' });
      const c = await client();
      clock.nextStep();
      const ok = await officeLogin(request.agent(t.app), { loginId: d.loginId, password: d.password, totp: oathCode(d.totpSecret, clock.now()) }, freshIp());
      expect(ok.status).toBe(303);
      expect(ok.headers.location).toBe('/office');
      const no = await officeLogin(request.agent(t.app), { loginId: c.loginId, password: c.password, totp: code(c) }, freshIp());
      expect(no.status).toBe(401);
      expect(no.text).toContain(FAILED);
      const page = await request(t.app).get('/office/login');
      expect(page.status).toBe(200);
      expect(page.text).toContain('事務所のログイン');
    });
  });

  describe('logs', () => {
    it('no access key, password, TOTP code or session id in any log line', async () => {
      const u = await client();
      const { res } = await signIn(u);
      const sid = /kinko_sid=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
      clock.nextStep();
      const c = code(u);
      await roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: 'wrong-password-123', totp: c }, freshIp());
      await request(t.app).get(`/room/${company.accessKey}/nothing-here`);
      const text = t.logs.text;
      expect(text.length).toBeGreaterThan(0);
      for (const secret of [company.accessKey, other.accessKey, u.password, 'wrong-password-123', sid, u.totpSecret, ...secrets]) {
        expect(text).not.toContain(secret);
      }
      expect(secrets.length).toBeGreaterThan(20);
      expect(text).not.toMatch(new RegExp(`"(code|totp)":"${c}"`));
    });
  });
});
