import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { csrfOf, oathCode, withIp, type Agent } from '../helpers/login.js';
import { FakeClock } from '../helpers/clock.js';

const L = limits.login;

/**
 * Parallel bursts of wrong logins (issue 12 item 4): every attempt claims its
 * slot in one conditional statement before the password is checked, so a
 * burst is evaluated exactly as often as the limits allow — on both databases.
 */
describe.each(testDatabases())('login throttle under parallel bursts (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  const clock = new FakeClock();
  let company: { id: string; accessKey: string };
  let net = 0;

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

  /** `n` distinct client addresses of a subnet of their own. */
  const addresses = (n: number) => {
    net += 1;
    return Array.from({ length: n }, (_, i) => `10.${net}.${i >> 8}.${i & 255}`);
  };
  const client = () => makeUser(t.deps, { role: 'client', companyId: company.id });

  /** Opens the login page for each attempt first (its CSRF token), then posts them all at once. */
  async function burst(attempts: Array<{ loginId: string; password: string; ip: string; totp?: string }>) {
    const prepared = await Promise.all(
      attempts.map(async (a) => {
        const agent: Agent = request.agent(t.app);
        const form = await withIp(agent.get(`/room/${company.accessKey}`), a.ip);
        return { agent, a, token: csrfOf(form.text) };
      }),
    );
    const answers = await Promise.all(
      prepared.map(({ agent, a, token }) =>
        withIp(
          agent.post(`/room/${company.accessKey}/login`).type('form').send({ _csrf: token, loginId: a.loginId, password: a.password, totp: a.totp ?? '' }),
          a.ip,
        ),
      ),
    );
    return answers.map((r) => r.status);
  }
  /** Status → how many, so a failure shows what came back instead of `false`. */
  const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {});
  const state = (u: MadeUser) =>
    t.deps.db.selectFrom('users').select(['failed_since_success', 'locked_until', 'hard_locked']).where('id', '=', u.id).executeTakeFirstOrThrow();
  const failureReasons = async (u: MadeUser) =>
    (await t.deps.db.selectFrom('audit_log').select(['action', 'details']).where('actor_id', '=', u.id).execute())
      .filter((r) => r.action === 'login.failure')
      .map((r) => JSON.parse(r.details).reason as string);
  const lockouts = async (u: MadeUser) =>
    (await t.deps.db.selectFrom('audit_log').select(['action', 'details']).where('actor_id', '=', u.id).where('action', '=', 'login.lockout').execute()).map(
      (r) => JSON.parse(r.details).kind as string,
    );

  it(`150 parallel wrong passwords on one account: exactly ${L.accountFailures} are checked, the account is locked for ${L.accountLockMs / 60_000} minutes, not hard-locked`, async () => {
    const u = await client();
    const ips = addresses(150);
    const statuses = await burst(ips.map((ip) => ({ loginId: u.loginId, password: `${u.password}-wrong`, ip })));
    expect({ statuses: tally(statuses), errors: t.logs.errorLines() }).toEqual({ statuses: { 401: statuses.length }, errors: [] });

    const reasons = await failureReasons(u);
    expect(reasons.filter((r) => r === 'bad_password')).toHaveLength(L.accountFailures);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(150 - L.accountFailures);
    expect(await lockouts(u)).toEqual(['account']);
    const s = await state(u);
    expect(s).toMatchObject({ failed_since_success: L.accountFailures, hard_locked: 0 });
    expect(s.locked_until).toBe(new Date(clock.now().getTime() + L.accountLockMs).toISOString());

    // The right password is refused during the lock, and works when it ends: no director needed.
    clock.nextStep();
    const right = () => burst([{ loginId: u.loginId, password: u.password, ip: addresses(1)[0]!, totp: oathCode(u.totpSecret, clock.now()) }]);
    expect(await right()).toEqual([401]);
    clock.advance(L.accountLockMs);
    clock.nextStep();
    expect(await right()).toEqual([303]);
  });

  it(`a ${L.hardLockFailures}-guess burst never hard-locks; bursts after each lock reach the hard lock only at exactly ${L.hardLockFailures}`, async () => {
    const u = await client();
    const wrong = (n: number) => burst(addresses(n).map((ip) => ({ loginId: u.loginId, password: 'wrong-password-123', ip })));
    await wrong(L.hardLockFailures);
    expect(await state(u)).toMatchObject({ failed_since_success: L.accountFailures, hard_locked: 0 });

    const rounds = Math.ceil(L.hardLockFailures / L.accountFailures);
    for (let i = 1; i < rounds; i++) {
      clock.advance(L.accountLockMs);
      await wrong(3 * L.accountFailures);
    }
    const s = await state(u);
    expect(s).toMatchObject({ failed_since_success: L.hardLockFailures, hard_locked: 1 });
    expect((await failureReasons(u)).filter((r) => r === 'bad_password')).toHaveLength(L.hardLockFailures);
    expect((await lockouts(u)).filter((k) => k === 'hard')).toHaveLength(1);
  });

  it(`150 parallel attempts from one address: exactly ${L.ipFailures} are evaluated, then the address is blocked for ${L.ipBlockMs / 60_000} minutes`, async () => {
    const [ip] = addresses(1);
    const victims: MadeUser[] = [];
    for (let i = 0; i < 15; i++) victims.push(await client());
    const statuses = await burst(Array.from({ length: 150 }, (_, i) => ({ loginId: victims[i % victims.length]!.loginId, password: 'sprayed-password-1', ip: ip! })));
    expect({ statuses: tally(statuses), errors: t.logs.errorLines() }).toEqual({ statuses: { 401: statuses.length }, errors: [] });

    const audited = await t.deps.db.selectFrom('audit_log').select(['action', 'details', 'actor_id']).where('action', 'in', ['login.failure', 'login.lockout']).execute();
    const mine = audited.filter((r) => victims.some((v) => v.id === r.actor_id));
    expect(mine.filter((r) => r.action === 'login.failure')).toHaveLength(L.ipFailures);
    const blocks = audited.filter((r) => r.action === 'login.lockout' && JSON.parse(r.details).ip === ip);
    expect(blocks).toHaveLength(1);
    let counted = 0;
    for (const v of victims) counted += (await state(v)).failed_since_success;
    expect(counted).toBe(L.ipFailures);

    // Blocked even with everything right; another address is not.
    const v = victims[0]!;
    clock.nextStep();
    expect(await burst([{ loginId: v.loginId, password: v.password, ip: ip!, totp: oathCode(v.totpSecret, clock.now()) }])).toEqual([401]);
    clock.nextStep();
    expect(await burst([{ loginId: v.loginId, password: v.password, ip: addresses(1)[0]!, totp: oathCode(v.totpSecret, clock.now()) }])).toEqual([303]);
  });

  it('a successful login gives its address slot back: 29 failures and any number of good logins do not block the address', async () => {
    const [ip] = addresses(1);
    const nobody = { loginId: 'client-nobody-here', password: 'x'.repeat(12), ip: ip! };
    await burst(Array.from({ length: L.ipFailures - 1 }, () => nobody));
    for (let i = 0; i < 3; i++) {
      const u = await client();
      clock.nextStep();
      expect(await burst([{ loginId: u.loginId, password: u.password, ip: ip!, totp: oathCode(u.totpSecret, clock.now()) }])).toEqual([303]);
    }
    const row = await t.deps.db.selectFrom('login_ip_throttle').selectAll().where('ip', '=', ip!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ failures: L.ipFailures - 1, blocked_until: null });
  });
});
