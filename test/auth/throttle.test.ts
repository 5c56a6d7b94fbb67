import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { unlockUser } from '../../server/auth/throttle.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { freshIp, oathCode, roomLogin } from '../helpers/login.js';

const L = limits.login;

describe('login throttle (numbers from limits.login)', () => {
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

  const client = () => makeUser(t.deps, { role: 'client', companyId: company.id });
  const attempt = (u: { loginId: string; password: string; totpSecret?: string }, ip: string, right = false) =>
    roomLogin(
      request.agent(t.app),
      company.accessKey,
      { loginId: u.loginId, password: right ? u.password : `${u.password}-wrong`, totp: u.totpSecret ? oathCode(u.totpSecret, clock.now()) : '' },
      ip,
    );
  const signsIn = async (u: MadeUser, ip = freshIp()) => {
    clock.nextStep();
    return (await attempt(u, ip, true)).status === 303;
  };
  const state = (u: MadeUser) =>
    t.deps.db.selectFrom('users').select(['failed_since_success', 'locked_until', 'hard_locked']).where('id', '=', u.id).executeTakeFirstOrThrow();
  const failTimes = async (u: MadeUser, n: number, ip = freshIp()) => {
    for (let i = 0; i < n; i++) expect((await attempt(u, ip)).status).toBe(401);
  };

  it(`an account is locked at exactly ${L.accountFailures} failures, and open again after ${L.accountLockMs / 60_000} minutes`, async () => {
    const a = await client();
    await failTimes(a, L.accountFailures - 1);
    expect(await signsIn(a)).toBe(true); // one short of the limit: still open, and the count restarts

    const b = await client();
    await failTimes(b, L.accountFailures);
    expect(await signsIn(b)).toBe(false); // right password and code, still refused
    // (signsIn moves the clock on by one TOTP step each time)
    clock.advance(L.accountLockMs - 2 * 60_000);
    expect(await signsIn(b)).toBe(false);
    clock.advance(2 * 60_000);
    expect(await signsIn(b)).toBe(true);
    const trail = await t.deps.db.selectFrom('audit_log').select(['action', 'details']).where('actor_id', '=', b.id).execute();
    expect(trail.filter((r) => r.action === 'login.lockout').map((r) => JSON.parse(r.details).kind)).toEqual(['account']);
    expect(trail.filter((r) => r.action === 'login.failure').length).toBe(L.accountFailures + 2);
  });

  it(`a hard lock comes at exactly ${L.hardLockFailures} failures since the last success, outlives the lock time and a right password, until unlocked`, async () => {
    const u = await client();
    let failures = 0;
    while (failures < L.hardLockFailures - 1) {
      const n = Math.min(L.accountFailures, L.hardLockFailures - 1 - failures);
      await failTimes(u, n);
      failures += n;
      clock.advance(L.accountLockMs);
    }
    expect(await state(u)).toMatchObject({ failed_since_success: L.hardLockFailures - 1, hard_locked: 0 });
    await failTimes(u, 1);
    expect((await state(u)).hard_locked).toBe(1);

    clock.advance(L.accountLockMs + 60_000);
    expect(await signsIn(u)).toBe(false);
    clock.advance(24 * 60 * 60_000);
    expect(await signsIn(u)).toBe(false);

    expect(await unlockUser(t.deps.db, u.id)).toBe(true);
    expect(await signsIn(u)).toBe(true);
    expect(await state(u)).toMatchObject({ failed_since_success: 0, hard_locked: 0, locked_until: null });
  });

  it('a successful login resets the count toward the hard lock', async () => {
    const u = await client();
    await failTimes(u, L.accountFailures - 1);
    expect(await signsIn(u)).toBe(true);
    expect((await state(u)).failed_since_success).toBe(0);
  });

  it(`an IP is blocked at exactly ${L.ipFailures} failures within ${L.ipWindowMs / 60_000} minutes, for ${L.ipBlockMs / 60_000} minutes`, async () => {
    const ip = freshIp();
    const nobody = { loginId: 'client-nobody', password: 'x'.repeat(12) };
    for (let i = 0; i < L.ipFailures - 1; i++) expect((await attempt(nobody, ip)).status).toBe(401);
    const u = await client();
    expect(await signsIn(u, ip)).toBe(true); // one short: the IP still works
    expect((await attempt(nobody, ip)).status).toBe(401); // the limit
    expect(await signsIn(u, ip)).toBe(false); // blocked, even with everything right
    expect(await signsIn(u, freshIp())).toBe(true); // the person, from elsewhere, is not affected
    clock.advance(L.ipBlockMs - 3 * 60_000);
    expect(await signsIn(u, ip)).toBe(false);
    clock.advance(2 * 60_000);
    expect(await signsIn(u, ip)).toBe(true);
    const blocks = await t.deps.db.selectFrom('audit_log').select('details').where('action', '=', 'login.lockout').execute();
    expect(blocks.some((b) => JSON.parse(b.details).kind === 'ip' && JSON.parse(b.details).ip === ip)).toBe(true);
  });

  it('failures spread over more than the IP window do not block the IP', async () => {
    const ip = freshIp();
    const nobody = { loginId: 'client-nobody', password: 'x'.repeat(12) };
    const half = Math.ceil(L.ipFailures / 2);
    for (let i = 0; i < half; i++) await attempt(nobody, ip);
    clock.advance(L.ipWindowMs + 1000);
    for (let i = 0; i < half; i++) await attempt(nobody, ip);
    expect(await signsIn(await client(), ip)).toBe(true);
  });

  it('a spray from one IP is stopped by the IP block and never adds to other accounts beyond their own counts', async () => {
    const ip = freshIp();
    const victims: MadeUser[] = [];
    for (let i = 0; i < 10; i++) victims.push(await client());
    // Round-robin guesses, far more than the IP allows.
    const rounds = (2 * L.ipFailures) / victims.length;
    for (let round = 0; round < rounds; round++) {
      for (const v of victims) await attempt(v, ip);
      clock.advance(1000);
    }
    const perVictim = L.ipFailures / victims.length; // what got through before the block
    for (const v of victims) {
      const s = await state(v);
      expect(s.hard_locked).toBe(0);
      expect(s.failed_since_success).toBe(perVictim);
      expect(s.locked_until).toBeNull();
      expect(await signsIn(v, freshIp())).toBe(true);
    }
  });

  it('hammering one account from one IP counts only the guesses evaluated before the lock', async () => {
    const ip = freshIp();
    const v = await client();
    for (let i = 0; i < L.ipFailures + 10; i++) await attempt(v, ip);
    const s = await state(v);
    expect(s.failed_since_success).toBe(L.accountFailures);
    expect(s.hard_locked).toBe(0);
  });
});
