import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { randomId } from '../../server/lib/random.js';
import { insertDrops } from '../../server/drops/repo.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { routeInventory, type RouteEntry } from '../helpers/routes.js';
import { fillPath, hasParams, normalize, probe, type Probe, type Who } from '../accounts/route-probe.js';
import { readSheet } from '../accounts/console-helpers.js';

/**
 * TENANCY (P7): a client sees only its own room. Company B's room, ids and
 * objects answer a client of company A exactly like things that do not
 * exist; crafted form fields and path tricks change nothing.
 */
describe('tenancy', () => {
  let t: TestApp;
  let a: { id: string; accessKey: string };
  let b: { id: string; accessKey: string };
  let clientA: MadeUser;
  let clientB: MadeUser;
  let staff: MadeUser;
  let director: MadeUser;
  let bDropId: string;
  let routes: RouteEntry[];

  beforeAll(async () => {
    t = await makeTestApp();
    a = await makeCompany(t.deps, 'A株式会社');
    b = await makeCompany(t.deps, 'B株式会社');
    clientA = await makeUser(t.deps, { role: 'client', companyId: a.id, name: 'A担当' });
    clientB = await makeUser(t.deps, { role: 'client', companyId: b.id, name: 'B担当' });
    staff = await makeUser(t.deps, { role: 'staff' });
    director = await makeUser(t.deps, { role: 'director', keyHolder: true });
    bDropId = randomId();
    await insertDrops(t.deps.db, [{
      id: bDropId, companyId: b.id, uploadedBy: clientB.id, fileName: 'B社_従業員.xlsx', storedKey: randomId(24),
      size: 123, sha256: 'ab'.repeat(32), kind: 'client-encrypted', state: 'received', createdAt: t.deps.clock.now().toISOString(),
    }]);
    routes = routeInventory(t.app).filter((r) => r.policy);
  });
  afterAll(async () => {
    await t.close();
  });

  const users = () => ({ client: clientA, staff, director });
  const seen = (x: Probe) => JSON.stringify({ status: x.status, location: x.location, body: normalize(x.text) });
  const keyRoutes = () => routes.filter((r) => /[:*][A-Za-z0-9_$]*key/i.test(r.path));

  it('a client of A opening B\'s room (B\'s key, A\'s session) is treated as signed out, on every room route', async () => {
    expect(keyRoutes().length).toBeGreaterThan(0);
    const differences: string[] = [];
    for (const route of keyRoutes()) {
      const path = fillPath(route.path, { key: b.accessKey });
      const asA = await probe(t.app, t.deps, route, path, 'client', users(), { accept: 'text/html' });
      // Public room pages (login form, enrolment, logout): exactly what an anonymous visitor of B's room gets.
      // Client-only room pages: anonymous visitors are stopped by the policy (401) before any key is looked at,
      // so there A's session must get what it gets for a room that does not exist — B's key tells it nothing.
      const other =
        route.policy!.audience === 'public'
          ? await probe(t.app, t.deps, route, path, 'anonymous', users(), { accept: 'text/html' })
          : await probe(t.app, t.deps, route, fillPath(route.path, { key: randomId(24) }), 'client', users(), { accept: 'text/html' });
      const [x, y] = [seen(asA).replaceAll(b.accessKey, '<key>'), seen(other).replaceAll(b.accessKey, '<key>')];
      if (x !== y) {
        differences.push(`${route.method} ${route.path}: as A's client ${asA.status}${asA.location ? ` → ${asA.location}` : ''}, compared ${other.status}${other.location ? ` → ${other.location}` : ''}`);
      }
      expect([route.path, asA.status >= 200 && asA.status < 300 && route.policy!.audience !== 'public']).toEqual([route.path, false]);
      expect(asA.text).not.toContain('A担当');
      expect(asA.text).not.toContain('A株式会社');
    }
    expect(differences).toEqual([]);
  });

  it('B\'s room page with A\'s session shows B\'s login form, never A\'s or B\'s room', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, clientA);
    const res = await agent.get(`/room/${b.accessKey}`);
    const anon = await request(t.app).get(`/room/${b.accessKey}`);
    expect(res.status).toBe(anon.status);
    expect(normalize(res.text)).toBe(normalize(anon.text));
    expect(res.text).toMatch(/type="password"/);
    expect(res.text).not.toContain('B社_従業員.xlsx');
  });

  it('ids of another company answer exactly like random ids (same status, same body apart from the request id)', async () => {
    const withIds = routes.filter((r) => hasParams(r.path.replace(/[:*][A-Za-z0-9_$]*key/gi, '')));
    expect(withIds.length).toBeGreaterThan(0);
    const differences: string[] = [];
    const names = new Map([[b.id, 'company'], [clientB.id, 'user'], [bDropId, 'drop'], [b.accessKey, 'room key']]);
    for (const route of withIds) {
      // Everything B owns that could stand in an id, against a random id of the same shape.
      for (const [foreign, what] of names) {
        const theirs = await probe(t.app, t.deps, route, fillPath(route.path, { key: a.accessKey, other: foreign }), 'client', users(), { accept: 'text/html' });
        const random = await probe(t.app, t.deps, route, fillPath(route.path, { key: a.accessKey, other: randomId(foreign.length > 22 ? 24 : 16) }), 'client', users(), { accept: 'text/html' });
        if (seen(theirs) !== seen(random)) differences.push(`${route.method} ${route.path} with B's ${what}: ${theirs.status} vs random ${random.status}`);
        expect([route.path, theirs.text.includes('B社_従業員.xlsx')]).toEqual([route.path, false]);
      }
    }
    expect(differences).toEqual([]);
  }, 240_000); // every route with ids, each asked several ways: 136 s at load 10–16

  it('path tricks in ids (..%2f, %00, overlong) answer 404 for a person the route is meant for', async () => {
    const withParams = routes.filter((r) => hasParams(r.path));
    const tricks = ['..%2f..%2fetc%2fpasswd', '%2e%2e%2f', 'abc%00def', '%00', '..', 'x'.repeat(400)];
    const problems: string[] = [];
    for (const route of withParams) {
      const who: Who = route.policy!.audience === 'client' ? 'client' : route.policy!.audience === 'public' ? 'anonymous' : 'director';
      for (const trick of tricks) {
        const p = await probe(t.app, t.deps, route, fillPath(route.path, { other: trick, key: trick }), who, users(), { accept: 'text/html' });
        if (p.status !== 404) problems.push(`${route.method} ${route.path} with ${trick.slice(0, 24)} as ${who}: ${p.status}`);
        expect(p.status).toBeLessThan(500);
      }
    }
    expect(problems).toEqual([]);
  }, 240_000); // every route with ids, each asked several ways: 136 s at load 10–16

  it('extra form fields (companyId, company_id, role, __proto__) are ignored when the director creates a company', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, director, { stepUp: true });
    const token = await csrfToken(agent);
    const res = await agent
      .post('/office/companies')
      .type('form')
      .send(
        `name=${encodeURIComponent('余計な項目株式会社')}&contactEmail=x%40example.jp&companyId=${b.id}&company_id=${b.id}` +
          `&role=director&status=revoked&__proto__[companyId]=${b.id}&__proto__=${b.id}&_csrf=${encodeURIComponent(token)}`,
      );
    expect(res.status).toBe(200);
    const sheet = readSheet(res.text);
    const user = await t.deps.db.selectFrom('users').select(['role', 'company_id']).where('login_id', '=', sheet.loginId).executeTakeFirstOrThrow();
    expect(user.role).toBe('client');
    expect(user.company_id).not.toBe(b.id);
    const company = await t.deps.db.selectFrom('companies').select(['name', 'status']).where('id', '=', user.company_id!).executeTakeFirstOrThrow();
    expect(company).toEqual({ name: '余計な項目株式会社', status: 'active' });
    // B is untouched, and nothing leaked onto Object.prototype.
    expect((await t.deps.db.selectFrom('users').select('id').where('company_id', '=', b.id).execute()).map((u) => u.id)).toEqual([clientB.id]);
    expect((Object.prototype as Record<string, unknown>).companyId).toBeUndefined();
  });

  it('a client of A cannot reach the office pages about B (or about A): 404 like any unknown page', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, clientA, { stepUp: true });
    for (const id of [b.id, a.id, randomId()]) {
      const res = await agent.get(`/office/companies/${id}`);
      expect(res.status).toBe(404);
    }
  });
});
