import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { makeCompany, makeUser, type MadeUser } from '../helpers/actors.js';
import { routeInventory, type RouteEntry } from '../helpers/routes.js';
import { askedToSignIn, fillPath, letThrough, probe, refusedByRole, refusedForStepUp, type Probe, type Who } from './route-probe.js';

/**
 * TENANCY: the role × route matrix. Every route of the whole app (all
 * domains, not only the console) is called as anonymous, client, staff and
 * director, and the outcome must match the route's declared policy:
 *   public   → nobody is asked to sign in or refused for their role;
 *   client   → anonymous asked to sign in, office people refused;
 *   staff    → anonymous asked to sign in, clients 404 (as for any unknown page);
 *   director → as staff, and staff refused (403);
 *   stepUp   → a director without a fresh step-up is refused.
 * Params are filled with random ids (room keys with the client's own key, so
 * a refusal is the policy's and not "no such room").
 */
describe('role × route matrix (every route answers as its policy says)', () => {
  let t: TestApp;
  let users: Record<'client' | 'staff' | 'director', MadeUser>;
  let accessKey: string;
  let routes: RouteEntry[];

  beforeAll(async () => {
    t = await makeTestApp();
    const company = await makeCompany(t.deps, 'マトリクス株式会社');
    accessKey = company.accessKey;
    users = {
      client: await makeUser(t.deps, { role: 'client', companyId: company.id }),
      staff: await makeUser(t.deps, { role: 'staff' }),
      director: await makeUser(t.deps, { role: 'director', keyHolder: true }),
    };
    routes = routeInventory(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  function expectation(route: RouteEntry, who: Who, p: Probe): string | null {
    const policy = route.policy!;
    const allowed = (ok: boolean) => (ok ? null : 'expected to be let through');
    const signIn = () => (askedToSignIn(p) ? null : 'expected 401 (sign in first)');
    const refused = (statuses: number[]) => (statuses.includes(p.status) ? null : `expected ${statuses.join(' or ')}`);
    const through = letThrough(p);
    switch (policy.audience) {
      case 'public':
        return allowed(through);
      case 'client':
        if (who === 'anonymous') return signIn();
        if (who === 'client') return allowed(through);
        return refused([403, 404]);
      case 'staff':
      case 'director':
        if (who === 'anonymous') return signIn();
        if (who === 'client') return refused([404]);
        if (who === 'staff') return policy.audience === 'director' ? (refusedByRole(p) && !refusedForStepUp(p) ? null : 'expected 403') : allowed(through);
        if (who === 'director-no-step-up') return policy.stepUp ? (refusedForStepUp(p) ? null : 'expected a step-up refusal') : allowed(through);
        return allowed(through);
    }
  }

  it('the inventory is not empty and every route has a policy', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => !r.policy).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('every route answers every role as its policy says', async () => {
    const mismatches: string[] = [];
    for (const route of routes) {
      if (!route.policy) continue;
      const path = fillPath(route.path, { key: accessKey });
      for (const who of ['anonymous', 'client', 'staff', 'director', 'director-no-step-up'] as Who[]) {
        const p = await probe(t.app, t.deps, route, path, who, users);
        const problem = expectation(route, who, p);
        if (problem) {
          mismatches.push(`${route.method} ${route.path} [${route.policy.audience}${route.policy.stepUp ? '+stepUp' : ''}] as ${who}: got ${p.status}${p.code ? ` ${p.code}` : ''}${p.location ? ` → ${p.location}` : ''}; ${problem}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('the console\'s own routes are in the inventory with the intended policies', () => {
    const policyOf = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)?.policy;
    expect(policyOf('GET', '/office')).toMatchObject({ audience: 'staff' });
    expect(policyOf('GET', '/office/companies')).toMatchObject({ audience: 'staff' });
    expect(policyOf('GET', '/office/companies/:id')).toMatchObject({ audience: 'staff' });
    for (const path of ['/office/companies', '/office/companies/:id/reissue', '/office/companies/:id/rotate', '/office/companies/:id/revoke', '/office/companies/:id/enable', '/office/staff', '/office/staff/:id/revoke', '/office/staff/:id/unlock', '/office/staff/:id/key-holder', '/office/staff/:id/key-holder/remove']) {
      expect([path, policyOf('POST', path)]).toEqual([path, expect.objectContaining({ audience: 'director', stepUp: true })]);
    }
    expect(policyOf('GET', '/office/staff')).toMatchObject({ audience: 'director' });
  });
});
