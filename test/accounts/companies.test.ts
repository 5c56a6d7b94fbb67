import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { findActiveCompanyByAccessKey } from '../../server/auth/access-keys.js';
import { verifyPassword } from '../../server/lib/passwords.js';
import { loadSession } from '../../server/auth/sessions.js';
import { limits } from '../../server/config.js';
import { randomId } from '../../server/lib/random.js';
import type { TestApp } from '../helpers/app.js';
import { testDatabases } from '../helpers/databases.js';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { auditActions, pathOf, postForm, readSheet, makeTestAppOn } from './console-helpers.js';

describe.each(testDatabases())('director console: client companies and their room credentials (on $name)', (target) => {
  let t: TestApp;
  let director: MadeUser;
  let staff: MadeUser;
  const seen: request.Response[] = [];
  const keep = (res: request.Response) => (seen.push(res), res);

  beforeAll(async () => {
    t = await makeTestAppOn(target);
    director = await makeUser(t.deps, { role: 'director', name: '所長 太郎', keyHolder: true });
    staff = await makeUser(t.deps, { role: 'staff', name: '担当 花子' });
    await t.deps.db.insertInto('office').values({ id: 'office', name: 'さくら社会保険労務士事務所', created_at: t.deps.clock.now().toISOString() }).execute();
  });
  afterAll(async () => {
    await t.close();
  });

  async function director_(stepUp = true) {
    return (await signedInAgent(t.app, t.deps, director, { stepUp })).agent;
  }

  async function createCompany(fields: Record<string, string | string[]> = {}) {
    const agent = await director_();
    const res = keep(await postForm(agent, '/office/companies', { name: '株式会社サンプル商事', contactEmail: 'tantou@sample.co.jp', ...fields }));
    expect(res.status).toBe(200);
    const sheet = readSheet(res.text);
    const key = pathOf(sheet.url).split('/').pop()!;
    const company = await findActiveCompanyByAccessKey(t.deps.db, key);
    return { res, sheet, key, company: company! };
  }

  it('when the director creates a company, the printable sheet shows the room URL, login ID and a 72-hour one-time password', async () => {
    const before = t.deps.clock.now().getTime();
    const { res, sheet, company } = await createCompany();
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.text).toContain('株式会社サンプル商事');
    expect(res.text).toContain('さくら社会保険労務士事務所');
    expect(res.text).toContain('Ctrl');
    expect(res.text).toContain('Google Authenticator');
    expect(res.text).toContain('Microsoft Authenticator');
    expect(sheet.url).toMatch(new RegExp(`^${t.deps.config.publicUrl}/room/[A-Za-z0-9_-]{32}$`));
    expect(sheet.password!.length).toBeGreaterThanOrEqual(16);
    expect(company.name).toBe('株式会社サンプル商事');

    const user = await t.deps.db.selectFrom('users').selectAll().where('login_id', '=', sheet.loginId).executeTakeFirstOrThrow();
    expect(user).toMatchObject({ role: 'client', company_id: company.id, display_name: '株式会社サンプル商事', status: 'active', password_is_initial: 1, totp_enrolled: 0, totp_secret_sealed: null });
    expect(user.password_hash).not.toContain(sheet.password);
    expect(await verifyPassword(user.password_hash, sheet.password!)).toBe(true);
    const ttl = Date.parse(user.initial_expires_at!) - before;
    expect(ttl).toBeGreaterThanOrEqual(limits.password.initialTtlMs - 5_000);
    expect(ttl).toBeLessThanOrEqual(limits.password.initialTtlMs + 5_000);

    const row = await t.deps.db.selectFrom('companies').selectAll().where('id', '=', company.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(pathOf(sheet.url).split('/').pop());
    expect((await auditActions(t.deps)).some((a) => a.action === 'credential.issue' && a.company_id === company.id)).toBe(true);
  });

  it('the room URL on the sheet opens the login form, where the initial password leads to enrolment', async () => {
    const { sheet } = await createCompany();
    const res = await request(t.app).get(pathOf(sheet.url));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/type="password"/);
    const login = await postForm(request.agent(t.app), `${pathOf(sheet.url)}/login`, { loginId: sheet.loginId, password: sheet.password! });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe(`${pathOf(sheet.url)}/welcome`);
  });

  it('extra form fields (companyId, company_id, role, status, __proto__) have no effect', async () => {
    const other = await makeCompany(t.deps, '他社株式会社');
    const agent = await director_();
    const token = await csrfToken(agent);
    const res = keep(
      await agent
        .post('/office/companies')
        .type('form')
        .send(
          `name=${encodeURIComponent('追加項目株式会社')}&contactEmail=a%40b.jp&companyId=${other.id}&company_id=${other.id}` +
            `&role=director&status=revoked&id=chosen-id-123&__proto__[role]=director&__proto__=x&constructor[prototype][x]=1` +
            `&_csrf=${encodeURIComponent(token)}`,
        ),
    );
    expect(res.status).toBe(200);
    const sheet = readSheet(res.text);
    const user = await t.deps.db.selectFrom('users').selectAll().where('login_id', '=', sheet.loginId).executeTakeFirstOrThrow();
    expect(user.role).toBe('client');
    expect(user.company_id).not.toBe(other.id);
    const company = await t.deps.db.selectFrom('companies').selectAll().where('id', '=', user.company_id!).executeTakeFirstOrThrow();
    expect(company).toMatchObject({ name: '追加項目株式会社', status: 'active' });
    expect(company.id).not.toBe('chosen-id-123');
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a form with problems comes back with the entries kept and messages in Japanese', async () => {
    const agent = await director_();
    const res = await postForm(agent, '/office/companies', { name: '  ', contactEmail: 'not-an-address' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('会社名を入力してください。');
    expect(res.text).toContain('メールアドレスの形が正しくありません');
    expect(res.text).toContain('value="not-an-address"');
    expect(await t.deps.db.selectFrom('companies').select('id').where('contact_email', '=', 'not-an-address').execute()).toEqual([]);
  });

  it('without a fresh step-up, every credential action is refused and changes nothing', async () => {
    const { company } = await createCompany();
    const agent = await director_(false);
    const count = (await auditActions(t.deps)).length;
    for (const path of ['/office/companies', `/office/companies/${company.id}/reissue`, `/office/companies/${company.id}/rotate`, `/office/companies/${company.id}/revoke`, `/office/companies/${company.id}/enable`]) {
      const res = await postForm(agent, path, { name: 'ステップアップなし', contactEmail: 'x@y.jp' });
      expect([path, res.status]).toEqual([path, 403]);
    }
    expect((await auditActions(t.deps)).length).toBe(count);
    const page = await agent.get(`/office/companies/${company.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('/office/step-up?next=');
  });

  it('staff may look at companies but not issue; clients get 404 as for any unknown page', async () => {
    const { company } = await createCompany();
    const s = (await signedInAgent(t.app, t.deps, staff, { stepUp: true })).agent;
    expect((await s.get('/office/companies')).status).toBe(200);
    const detail = await s.get(`/office/companies/${company.id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain('/reissue');
    expect((await postForm(s, '/office/companies', { name: 'x', contactEmail: 'x@y.jp' })).status).toBe(403);
    expect((await postForm(s, `/office/companies/${company.id}/revoke`)).status).toBe(403);

    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const c = (await signedInAgent(t.app, t.deps, client, { stepUp: true })).agent;
    for (const path of ['/office', '/office/companies', `/office/companies/${company.id}`]) expect((await c.get(path)).status).toBe(404);
    expect((await postForm(c, `/office/companies/${company.id}/revoke`)).status).toBe(404);
  });

  it('unknown ids and path tricks answer 404', async () => {
    const agent = await director_();
    for (const id of [randomId(), 'nope', '..%2f..%2fetc%2fpasswd', '%00', 'a%00b', '..', '%2e%2e', 'x'.repeat(300)]) {
      expect([id, (await agent.get(`/office/companies/${id}`)).status]).toEqual([id, 404]);
      expect([id, (await postForm(agent, `/office/companies/${id}/reissue`)).status]).toEqual([id, 404]);
    }
  });

  it('reissue: the old initial password stops working, TOTP must be enrolled again and the client is signed out', async () => {
    const { sheet, company } = await createCompany();
    const user = await t.deps.db.selectFrom('users').select(['id']).where('login_id', '=', sheet.loginId).executeTakeFirstOrThrow();
    await t.deps.db.updateTable('users').set({ totp_enrolled: 1, totp_secret_sealed: 'sealed', hard_locked: 1 }).where('id', '=', user.id).execute();
    const { sid } = await signedInAgent(t.app, t.deps, { id: user.id, loginId: sheet.loginId, password: '', totpSecret: '', role: 'client', companyId: company.id });

    const res = keep(await postForm(await director_(), `/office/companies/${company.id}/reissue`));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const again = readSheet(res.text);
    expect(again.loginId).toBe(sheet.loginId);
    expect(again.url).toBe(sheet.url);
    expect(again.password).not.toBe(sheet.password);

    const row = await t.deps.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash, sheet.password!)).toBe(false);
    expect(await verifyPassword(row.password_hash, again.password!)).toBe(true);
    expect(row).toMatchObject({ password_is_initial: 1, totp_enrolled: 0, totp_secret_sealed: null, hard_locked: 0 });
    expect(await loadSession(t.deps.db, sid, t.deps.clock.now())).toBeNull();
    expect((await auditActions(t.deps)).some((a) => a.action === 'credential.reissue' && a.company_id === company.id)).toBe(true);

    // Through the room's login form, as the client would:
    const room = pathOf(sheet.url);
    const login = async (password: string) => postForm(request.agent(t.app), `${room}/login`, { loginId: sheet.loginId, password });
    expect((await login(sheet.password!)).status).toBe(401);
    const ok = await login(again.password!);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`${room}/welcome`);
  });

  it('rotate: the old room URL answers 404 from then on, the new one works, the password is unchanged', async () => {
    const { sheet, company, key } = await createCompany();
    const res = keep(await postForm(await director_(), `/office/companies/${company.id}/rotate`));
    expect(res.status).toBe(200);
    const rotated = readSheet(res.text);
    expect(rotated.password).toBeNull();
    expect(rotated.loginId).toBe(sheet.loginId);
    expect(rotated.url).not.toBe(sheet.url);
    expect(await findActiveCompanyByAccessKey(t.deps.db, key)).toBeNull();
    const newKey = pathOf(rotated.url).split('/').pop()!;
    expect((await findActiveCompanyByAccessKey(t.deps.db, newKey))?.id).toBe(company.id);
    expect((await request(t.app).get(pathOf(sheet.url))).status).toBe(404);
    expect((await request(t.app).get(pathOf(rotated.url))).status).toBe(200);
    expect((await auditActions(t.deps)).some((a) => a.action === 'credential.rotate' && a.company_id === company.id)).toBe(true);
  });

  it('revoke: a signed-in client is out at its next request and the room answers 404; re-enable brings the room back', async () => {
    const company = await makeCompany(t.deps, '停止テスト株式会社');
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const { agent: c, sid } = await signedInAgent(t.app, t.deps, client);
    expect(await loadSession(t.deps.db, sid, t.deps.clock.now())).not.toBeNull();

    const res = await postForm(await director_(), `/office/companies/${company.id}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/office/companies/${company.id}?done=revoked`);

    const next = await c.get(`/room/${company.accessKey}`);
    expect(next.status).toBe(404);
    expect(await loadSession(t.deps.db, sid, t.deps.clock.now())).toBeNull();
    expect(String(next.headers['set-cookie'] ?? '')).toMatch(/kinko_sid=;/);
    const row = await t.deps.db.selectFrom('companies').select('status').where('id', '=', company.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('revoked');
    // Reissue and rotate wait until the room is re-enabled.
    expect((await postForm(await director_(), `/office/companies/${company.id}/reissue`)).status).toBe(409);

    const enabled = await postForm(await director_(), `/office/companies/${company.id}/enable`);
    expect(enabled.status).toBe(303);
    expect((await request(t.app).get(`/room/${company.accessKey}`)).status).toBe(200);
    const actions = (await auditActions(t.deps)).filter((a) => a.company_id === company.id).map((a) => a.action);
    expect(actions).toEqual(['credential.revoke', 'credential.enable']);
  });

  it('revoking twice changes nothing the second time', async () => {
    const company = await makeCompany(t.deps);
    await postForm(await director_(), `/office/companies/${company.id}/revoke`);
    await postForm(await director_(), `/office/companies/${company.id}/revoke`);
    const actions = (await auditActions(t.deps)).filter((a) => a.company_id === company.id).map((a) => a.action);
    expect(actions).toEqual(['credential.revoke']);
  });

  it('a hard-locked client can be unlocked by the director', async () => {
    const company = await makeCompany(t.deps);
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    await t.deps.db.updateTable('users').set({ hard_locked: 1, failed_since_success: 20 }).where('id', '=', client.id).execute();
    const page = await (await director_()).get(`/office/companies/${company.id}`);
    expect(page.text).toContain(`/office/companies/${company.id}/unlock`);
    expect((await postForm(await director_(), `/office/companies/${company.id}/unlock`)).status).toBe(303);
    const row = await t.deps.db.selectFrom('users').select(['hard_locked', 'failed_since_success']).where('id', '=', client.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ hard_locked: 0, failed_since_success: 0 });
    expect((await auditActions(t.deps)).some((a) => a.action === 'credential.unlock' && a.company_id === company.id)).toBe(true);
  });

  it('the console pages list the companies and link what the person may do', async () => {
    const d = await director_();
    const home = await d.get('/office');
    expect(home.status).toBe(200);
    for (const link of ['/office/companies', '/office/staff', '/office/drops', '/office/persons', '/office/audit']) expect(home.text).toContain(`href="${link}"`);
    const s = (await signedInAgent(t.app, t.deps, staff)).agent;
    const staffHome = await s.get('/office');
    expect(staffHome.status).toBe(200);
    expect(staffHome.text).toContain('href="/office/companies"');
    expect(staffHome.text).not.toContain('href="/office/staff"');
    const list = await d.get('/office/companies');
    expect(list.text).toContain('株式会社サンプル商事');
    expect(list.text).toContain('href="/office/companies/new"');
    expect((await d.get('/office/companies/new')).status).toBe(200);
    const english = await d.get('/office/companies/new?lang=en');
    expect(english.text).toContain('Register a new client company');
    expect(english.text).not.toMatch(/accounts\.[a-zA-Z]+\./);
  });

  it('no password or access key from any sheet appears in a log line or in any URL', async () => {
    expect(seen.length).toBeGreaterThan(3);
    const secrets: string[] = [];
    for (const res of seen) {
      if (!/sheet-url/.test(res.text)) continue;
      const s = readSheet(res.text);
      secrets.push(pathOf(s.url).split('/').pop()!);
      if (s.password) secrets.push(s.password);
    }
    expect(secrets.length).toBeGreaterThan(3);
    const logs = t.logs.text;
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      for (const res of seen) {
        expect(String(res.headers.location ?? '')).not.toContain(secret);
        // The console shows the room URL as text only: none of its links, forms or resources carries a secret
        // (the room's own pages live under /room/<key> by design and are not part of this check).
        for (const m of res.text.matchAll(/(?:href|src|action)="([^"]*)"/g)) expect(m[1]).not.toContain(secret);
      }
    }
  });
});
