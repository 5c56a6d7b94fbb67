import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { makeCompany, makeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { csrfOf, freshIp, oathCode, otplibCode, roomLogin, withIp } from '../helpers/login.js';
import { FakeClock } from '../helpers/clock.js';

describe.each(testDatabases())('TOTP codes are good exactly once (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  const clock = new FakeClock();
  let company: { id: string; accessKey: string };

  beforeAll(async () => {
    opened = await target.open();
    const env: Record<string, string> = { KINKO_TRUST_PROXY: 'true' };
    if (opened.config.kind === 'postgres') env.KINKO_DATABASE_URL = opened.config.url;
    t = await makeTestApp(env, { clock });
    company = await makeCompany(t.deps);
  });
  afterAll(async () => {
    await t.close();
    await opened.cleanup();
  });

  const client = () => makeUser(t.deps, { role: 'client', companyId: company.id });
  const login = (u: { loginId: string; password: string }, totp: string) =>
    roomLogin(request.agent(t.app), company.accessKey, { loginId: u.loginId, password: u.password, totp }, freshIp());

  it('oathtool and otplib agree on the codes', async () => {
    const u = await client();
    for (let i = 0; i < 3; i++) {
      clock.nextStep();
      expect(oathCode(u.totpSecret, clock.now())).toBe(await otplibCode(u.totpSecret, clock.now()));
    }
  });

  it('the same code twice: the second login fails, and the trail says replay', async () => {
    const u = await client();
    clock.nextStep();
    const c = oathCode(u.totpSecret, clock.now());
    expect((await login(u, c)).status).toBe(303);
    const again = await login(u, c);
    expect(again.status).toBe(401);
    const trail = await t.deps.db.selectFrom('audit_log').select('action').where('actor_id', '=', u.id).execute();
    expect(trail.map((r) => r.action)).toEqual(['login.success', 'login.totp_replay']);
  });

  it('a code of an earlier step fails once a later one was used, though it is still inside the window', async () => {
    const u = await client();
    clock.nextStep();
    const earlier = await otplibCode(u.totpSecret, clock.now());
    clock.nextStep();
    expect((await login(u, await otplibCode(u.totpSecret, clock.now()))).status).toBe(303);
    expect((await login(u, earlier)).status).toBe(401);
  });

  it('codes from outside t−1..t+1 fail', async () => {
    const u = await client();
    clock.advance(10 * limits.totp.stepSeconds * 1000);
    const old = new Date(clock.now().getTime() - 2 * limits.totp.stepSeconds * 1000);
    const future = new Date(clock.now().getTime() + 2 * limits.totp.stepSeconds * 1000);
    expect((await login(u, oathCode(u.totpSecret, future))).status).toBe(401);
    expect((await login(u, oathCode(u.totpSecret, old))).status).toBe(401);
    const next = new Date(clock.now().getTime() + limits.totp.stepSeconds * 1000);
    expect((await login(u, oathCode(u.totpSecret, next))).status).toBe(303); // t+1 is accepted (clock skew)
  });

  it('20 parallel logins with one code: exactly one succeeds', async () => {
    const u = await client();
    clock.nextStep();
    const c = oathCode(u.totpSecret, clock.now());
    const ip = freshIp();
    const prepared = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const agent = request.agent(t.app);
        const form = await withIp(agent.get(`/room/${company.accessKey}`), ip);
        return { agent, token: csrfOf(form.text) };
      }),
    );
    const answers = await Promise.all(
      prepared.map(({ agent, token }) =>
        withIp(agent.post(`/room/${company.accessKey}/login`).type('form').send({ _csrf: token, loginId: u.loginId, password: u.password, totp: c }), ip),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    const sessions = await t.deps.db.selectFrom('sessions').select('id_hash').where('user_id', '=', u.id).execute();
    expect(sessions).toHaveLength(1);
  });
});
