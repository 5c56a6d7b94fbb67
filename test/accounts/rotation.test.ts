import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { FakeClock } from '../helpers/clock.js';
import { otplibCode } from '../helpers/login.js';
import { fixture, installOfficeKey } from '../drops/helpers.js';
import { auditActions, pathOf, postForm, readSheet } from './console-helpers.js';

/**
 * Issue 12 item 6: the director rotates a room's access key because the old
 * URL may have leaked. Whoever held a session or API token from before must be
 * out at the next request — answered exactly like a revoked credential — and
 * must not be able to carry on under the new URL.
 */
describe.each(testDatabases())('rotating a room access key ends every session of the room (on $name)', (target) => {
  let t: TestApp;
  let opened: OpenedTestDatabase;
  const clock = new FakeClock();
  let director: MadeUser;

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {}, { clock });
    await installOfficeKey(t.deps);
    director = await makeUser(t.deps, { role: 'director', keyHolder: true });
    const office = await t.deps.db.selectFrom('office').select('id').executeTakeFirst();
    if (!office) await t.deps.db.insertInto('office').values({ id: 'office', name: 'テスト事務所', created_at: clock.now().toISOString() }).execute();
  });
  afterAll(async () => {
    await t.close();
    await opened.cleanup();
  });

  const director_ = async () => (await signedInAgent(t.app, t.deps, director, { stepUp: true })).agent;

  async function apiToken(user: MadeUser, accessKey: string): Promise<string> {
    clock.nextStep();
    const totp = await otplibCode(user.totpSecret, clock.now());
    const res = await request(t.app).post('/api/v1/session').send({ accessKey, loginId: user.loginId, password: user.password, totp });
    expect(res.status).toBe(201);
    return res.body.token as string;
  }

  /** A room with a signed-in browser and a script token that both work right now. */
  async function liveRoom(name: string) {
    const company = await makeCompany(t.deps, name);
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const token = await apiToken(client, company.accessKey);
    const { agent: browser } = await signedInAgent(t.app, t.deps, client);
    expect((await request(t.app).get('/api/v1/drops').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await browser.get(`/room/${company.accessKey}/drops`)).status).toBe(200);
    return { company, client, token, browser };
  }

  const upload = (token: string) =>
    request(t.app).post('/api/v1/drops').set('Authorization', `Bearer ${token}`).attach('file', fixture('sample_roster.csv'), 'a.csv');
  const noRequestId = (body: { error: Record<string, unknown> }) => ({ ...body.error, requestId: '' });
  const cleared = (res: request.Response) => /kinko_sid=;/.test(String(res.headers['set-cookie'] ?? ''));

  it('after a rotation, an earlier API token can neither list nor upload, and the browser session is dead on the new URL — like after revocation', async () => {
    // The yardstick: a room whose credential was revoked (then re-opened, so its URL answers again).
    const revoked = await liveRoom('停止比較株式会社');
    expect((await postForm(await director_(), `/office/companies/${revoked.company.id}/revoke`)).status).toBe(303);
    expect((await postForm(await director_(), `/office/companies/${revoked.company.id}/enable`)).status).toBe(303);
    const revokedList = await request(t.app).get('/api/v1/drops').set('Authorization', `Bearer ${revoked.token}`);
    const revokedUpload = await upload(revoked.token);
    const revokedPage = await revoked.browser.get(`/room/${revoked.company.accessKey}/drops`);

    const room = await liveRoom('鍵交換株式会社');
    const res = await postForm(await director_(), `/office/companies/${room.company.id}/rotate`);
    expect(res.status).toBe(200);
    const newPath = pathOf(readSheet(res.text).url);
    const newKey = newPath.split('/').pop()!;

    const list = await request(t.app).get('/api/v1/drops').set('Authorization', `Bearer ${room.token}`);
    const up = await upload(room.token);
    expect(list.status).toBe(401);
    expect(up.status).toBe(401);
    expect(noRequestId(list.body)).toEqual(noRequestId(revokedList.body));
    expect(noRequestId(up.body)).toEqual(noRequestId(revokedUpload.body));

    const page = await room.browser.get(`${newPath}/drops`);
    expect(page.status).toBe(revokedPage.status);
    expect(page.status).not.toBe(200);
    expect(String(page.headers.location ?? '').replace(newKey, 'KEY')).toBe(String(revokedPage.headers.location ?? '').replace(revoked.company.accessKey, 'KEY'));
    expect(cleared(page)).toBe(true);
    expect(cleared(revokedPage)).toBe(true);
    // The old URL is simply gone.
    expect((await room.browser.get(`/room/${room.company.accessKey}`)).status).toBe(404);

    const rotation = (await auditActions(t.deps)).filter((a) => a.company_id === room.company.id && a.action === 'credential.rotate');
    expect(rotation).toHaveLength(1);

    // The client logs in again under the new URL and carries on.
    const fresh = await apiToken(room.client, newKey);
    expect((await upload(fresh)).status).toBe(201);
  });
});
