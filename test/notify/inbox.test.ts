import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { noteArrival, unseenCount } from '../../server/notify/service.js';
import { inboxBadge } from '../../server/notify/routes.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { signedInAgent } from '../helpers/actors.js';
import { routeInventory } from '../helpers/routes.js';
import { fakeClock, type ManualClock as FakeClock } from '../helpers/clock.js';
import { fakeDrops, makeOffice, makeRoom, type Office } from '../helpers/notify-office.js';

describe('new arrivals on the drops list /office/drops (the old inbox) and the badge', () => {
  let t: TestApp;
  let clock: FakeClock;
  let office: Office;

  beforeEach(async () => {
    clock = fakeClock('2025-04-01T00:00:00.000Z'); // 09:00 in Japan
    t = await makeTestApp({ KINKO_NOTIFY_BATCH_SECONDS: '300' }, { clock });
    office = await makeOffice(t.deps);
  });
  afterEach(async () => {
    await t.close();
  });

  it('when drops arrived, staff see each room with its count and time in JST, newest first, and nothing about the files', async () => {
    const a = await makeRoom(t.deps, '株式会社いろは');
    const b = await makeRoom(t.deps, 'にほへ商店');
    const dropsA = fakeDrops(3);
    await noteArrival(t.deps, { companyId: a.company.id, dropIds: dropsA.map((d) => d.id) });
    clock.advance(90 * 60_000); // 10:30 JST
    await noteArrival(t.deps, { companyId: b.company.id, dropIds: fakeDrops(1).map((d) => d.id) });

    const { agent } = await signedInAgent(t.app, t.deps, office.plainStaff);
    const res = await agent.get('/office/drops');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.text).toContain('届いたファイル');
    expect(res.text).toContain('新着（ルームごと）');
    const iA = res.text.indexOf('株式会社いろは');
    const iB = res.text.indexOf('にほへ商店');
    expect(iB).toBeGreaterThan(-1);
    expect(iA).toBeGreaterThan(iB); // newest first
    expect(res.text).toContain('2025-04-01 09:00 JST');
    expect(res.text).toContain('2025-04-01 10:30 JST');
    expect(res.text).toContain('3 件');
    expect(res.text).toContain('新着 3 件');
    for (const d of dropsA) {
      expect(res.text).not.toContain(d.id);
      expect(res.text).not.toContain(d.name);
    }
  });

  it('the badge counts unseen arrivals per person and resets when that person opens the inbox', async () => {
    const { company } = await makeRoom(t.deps, 'バッジ株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    const now = () => clock.now();
    expect(await unseenCount(t.deps.db, office.keyHolder.id, now())).toBe(2);
    expect(await unseenCount(t.deps.db, office.director.id, now())).toBe(2);

    const { agent } = await signedInAgent(t.app, t.deps, office.keyHolder);
    expect((await agent.get('/office/drops')).text).toContain('新着 2 件');
    expect(await unseenCount(t.deps.db, office.keyHolder.id, now())).toBe(0);
    expect(await unseenCount(t.deps.db, office.director.id, now())).toBe(2); // others keep theirs

    const again = await agent.get('/office/drops');
    expect(again.text).not.toContain('新着 ');
    expect(again.text).toContain('確認済み');

    // A later drop joining the same (still open) notice is unseen again.
    clock.advance(30_000);
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    expect(await unseenCount(t.deps.db, office.keyHolder.id, now())).toBe(1);
    expect((await agent.get('/office/drops')).text).toContain('新着 1 件');
    expect(await unseenCount(t.deps.db, office.keyHolder.id, now())).toBe(0);
  });

  it('the badge middleware sets res.locals.inboxBadge for staff and directors, and does nothing for clients or visitors', async () => {
    const { company, client } = await makeRoom(t.deps, 'ミドルウェア株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(4).map((d) => d.id) });
    const probe = express();
    probe.use((req, res, next) => {
      const who = req.get('x-who');
      const user = who === 'staff' ? office.plainStaff : who === 'director' ? office.director : who === 'client' ? client : undefined;
      if (user) res.locals.actor = { userId: user.id, role: user.role, companyId: user.companyId, sessionId: 'x' };
      next();
    });
    probe.use(inboxBadge(t.deps));
    probe.get('/', (_req, res) => void res.json({ badge: res.locals.inboxBadge ?? null }));
    expect((await request(probe).get('/').set('x-who', 'staff')).body).toEqual({ badge: 4 });
    expect((await request(probe).get('/').set('x-who', 'director')).body).toEqual({ badge: 4 });
    expect((await request(probe).get('/').set('x-who', 'client')).body).toEqual({ badge: null });
    expect((await request(probe).get('/')).body).toEqual({ badge: null });
  });

  it('when a client opens /office/inbox, it gets 404 like any unknown page; a visitor must log in', async () => {
    const { company, client } = await makeRoom(t.deps, 'クライアント株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    const { agent } = await signedInAgent(t.app, t.deps, client);
    const res = await agent.get('/office/inbox');
    expect(res.status).toBe(404);
    expect((await agent.get('/office/drops')).status).toBe(404);
    expect(res.text).not.toContain('クライアント株式会社');
    const unknown = await agent.get('/office/no-such-page');
    expect(unknown.status).toBe(404);
    expect((await request(t.app).get('/office/inbox')).headers.location).toBe('/office/login');
  });

  it('company names are shown escaped', async () => {
    const { company } = await makeRoom(t.deps, '<script>alert(1)</script>商事');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    const { agent } = await signedInAgent(t.app, t.deps, office.director);
    const res = await agent.get('/office/drops');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;商事');
  });

  it('with nothing arrived, the inbox says so; in English on request', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, office.director);
    expect((await agent.get('/office/drops')).text).toContain('最近届いたファイルはありません。');
    expect((await agent.get('/office/drops?lang=en')).text).toContain('No files arrived recently.');
  });

  it('the old inbox address sends staff to the drops list, where new arrivals are now shown', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, office.plainStaff);
    const res = await agent.get('/office/inbox');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/office/drops');
  });

  it('the inbox route declares the staff policy', () => {
    const route = routeInventory(t.app).find((r) => r.path === '/office/inbox' && r.method === 'GET');
    expect(route?.policy?.audience).toBe('staff');
  });
});
