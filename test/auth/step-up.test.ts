import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { policy, type Actor } from '../../server/http/policies.js';
import { createI18n } from '../../server/i18n/i18n.js';
import { stepUpFresh } from '../../server/auth/sessions.js';
import { makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfOf, freshIp, oathCode, officeLogin, withIp } from '../helpers/login.js';
import { FakeClock } from '../helpers/clock.js';

describe('step-up: a fresh code before sensitive actions', () => {
  let t: TestApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    t = await makeTestApp({ KINKO_TRUST_PROXY: 'true' }, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  const stepUpAt = async (userId: string) =>
    (await t.deps.db.selectFrom('sessions').select('step_up_at').where('user_id', '=', userId).executeTakeFirst())?.step_up_at ?? null;

  async function submit(agent: ReturnType<typeof request.agent>, code: string, next = '/office/companies', ip = freshIp()) {
    const page = await withIp(agent.get(`/office/step-up?next=${encodeURIComponent(next)}`), ip);
    expect(page.status).toBe(200);
    return withIp(agent.post(`/office/step-up?next=${encodeURIComponent(next)}`).type('form').send({ _csrf: csrfOf(page.text), code }), ip);
  }

  it('a right code marks the session and goes on to `next`; the same code again is refused', async () => {
    const d: MadeUser = await makeUser(t.deps, { role: 'director' });
    const { agent } = await signedInAgent(t.app, t.deps, d);
    clock.nextStep();
    const c = oathCode(d.totpSecret, clock.now());
    const ok = await submit(agent, c);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/office/companies');
    expect(await stepUpAt(d.id)).toBe(clock.now().toISOString());
    const replay = await submit(agent, c);
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('確認コードが正しくありません');
  });

  it('the login\'s own fresh code is the step-up: the first company is created right after login, without a second code, for limits.session.stepUpMs', async () => {
    const d = await makeUser(t.deps, { role: 'director' });
    const agent = request.agent(t.app);
    const ip = freshIp();
    clock.nextStep();
    const login = await officeLogin(agent, { loginId: d.loginId, password: d.password, totp: oathCode(d.totpSecret, clock.now()) }, ip);
    expect(login.status).toBe(303);
    expect(await stepUpAt(d.id)).toBe(clock.now().toISOString());

    const create = async (name: string) => {
      const form = await withIp(agent.get('/office/companies/new'), ip);
      expect(form.status).toBe(200);
      return withIp(agent.post('/office/companies').type('form').send({ _csrf: csrfOf(form.text), name, contactEmail: 'tantou@example.co.jp' }), ip);
    };
    const first = await create('最初の顧問先株式会社'); // same 30-second step as the login: no code could be typed again
    expect(first.status).toBe(200);
    expect(first.text).toContain('最初の顧問先株式会社');
    expect(await t.deps.db.selectFrom('companies').select('id').where('name', '=', '最初の顧問先株式会社').executeTakeFirst()).toBeDefined();

    clock.advance(limits.session.stepUpMs - 60_000);
    expect((await create('二社目株式会社')).status).toBe(200);
    clock.advance(60_001); // (the session itself is still within its idle limit: it was used a minute ago)
    const stale = await create('三社目株式会社');
    expect(stale.status).toBe(403);
    expect(await t.deps.db.selectFrom('companies').select('id').where('name', '=', '三社目株式会社').executeTakeFirst()).toBeUndefined();
  });

  it('`next` can only point inside the office console', async () => {
    const d = await makeUser(t.deps, { role: 'director' });
    const { agent } = await signedInAgent(t.app, t.deps, d);
    for (const bad of ['https://evil.example/office', '//evil.example/office', '/office\\..\\x', '/room/abc', '/officex']) {
      clock.nextStep();
      const res = await submit(agent, oathCode(d.totpSecret, clock.now()), bad);
      expect(res.headers.location).toBe('/office');
    }
  });

  it('wrong step-up codes count as login failures: a stolen session cannot brute-force the second factor', async () => {
    const s = await makeUser(t.deps, { role: 'staff' });
    const { agent } = await signedInAgent(t.app, t.deps, s);
    clock.nextStep();
    const right = oathCode(s.totpSecret, clock.now());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < limits.login.accountFailures; i++) expect((await submit(agent, wrong)).status).toBe(401);
    expect((await submit(agent, right)).status).toBe(401); // locked now
    clock.advance(limits.login.accountLockMs);
    clock.nextStep();
    const later = await signedInAgent(t.app, t.deps, s); // (the first session has idled out meanwhile)
    expect((await submit(later.agent, oathCode(s.totpSecret, clock.now()))).status).toBe(303);
  });

  it('clients cannot reach the step-up page (it answers like any unknown address)', async () => {
    const company = await makeCompany(t.deps);
    const c = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const { agent } = await signedInAgent(t.app, t.deps, c);
    expect((await agent.get('/office/step-up')).status).toBe(404);
  });

  it('the step-up is fresh for limits.session.stepUpMs', () => {
    const now = clock.now();
    const a: Actor = { userId: 'u', role: 'director', sessionId: 'h', stepUpAt: now.getTime() };
    expect(stepUpFresh(a, new Date(now.getTime() + limits.session.stepUpMs))).toBe(true);
    expect(stepUpFresh(a, new Date(now.getTime() + limits.session.stepUpMs + 1))).toBe(false);
  });
});

describe('policy({ stepUp: true }) without a fresh step-up', () => {
  const app = express();
  app.use((req, res, next) => {
    res.locals.actor = { userId: 'u', role: 'director', sessionId: 'h' } satisfies Actor;
    res.locals.stepUpFresh = () => req.get('x-fresh') === '1';
    next();
  });
  app.get('/office/keys/issue', policy({ audience: 'director', stepUp: true }), (_q, res) => {
    res.send('the form');
  });
  app.post('/office/keys/issue', policy({ audience: 'director', stepUp: true }), (_q, res) => {
    res.send('done');
  });
  app.use(((err, _req, res, _next) => {
    res.status(err.status ?? 500).send(err.messageKey ?? 'error');
  }) as express.ErrorRequestHandler);

  it('a page request is sent to /office/step-up and comes back to the same address', async () => {
    const res = await request(app).get('/office/keys/issue?company=abc').set('Accept', 'text/html');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/office/step-up?next=${encodeURIComponent('/office/keys/issue?company=abc')}`);
  });

  it('errors.stepUpRequired has a plain text in both languages', async () => {
    const i18n = await createI18n();
    for (const lng of ['ja', 'en']) expect(i18n.getFixedT(lng)('errors.stepUpRequired')).not.toBe('errors.stepUpRequired');
  });

  it('a form post or a script gets 403 errors.stepUpRequired; a fresh step-up passes', async () => {
    const post = await request(app).post('/office/keys/issue');
    expect(post.status).toBe(403);
    expect(post.text).toBe('errors.stepUpRequired');
    const json = await request(app).get('/office/keys/issue').set('Accept', 'application/json');
    expect(json.status).toBe(403);
    expect((await request(app).get('/office/keys/issue').set('x-fresh', '1')).text).toBe('the form');
  });
});
