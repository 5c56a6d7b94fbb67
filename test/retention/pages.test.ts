import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { STANDALONE_TWELVE_DIGITS } from '../helpers/mynumber.js';
import { makeHeldFamily, type HeldFamily } from '../helpers/held-family.js';

/**
 * The retention pages through HTTP, as the office and its client use them:
 * the director ticks the services, the client reports a leaver from its
 * room (never seeing a number), the office sees the date with its basis and
 * can hold it; refusals come back as the page with a plain message.
 */
const TODAY = new Date('2026-12-02T03:00:00Z');

describe('retention pages', () => {
  let t: TestApp;
  let f: HeldFamily;
  let client: MadeUser;
  let director: MadeUser;
  let staff: MadeUser;

  beforeAll(async () => {
    t = await makeTestApp({}, { clock: { now: () => TODAY } });
    f = await makeHeldFamily(t.deps, '山田商事株式会社');
    director = await makeUser(t.deps, { role: 'director' });
    staff = await makeUser(t.deps, { role: 'staff' });
    client = await makeUser(t.deps, { role: 'client', companyId: f.companyId });
  });
  afterAll(() => t?.close());

  async function room() {
    const { agent } = await signedInAgent(t.app, t.deps, client);
    return { agent, base: `/room/${f.accessKey}` };
  }

  it('when the director ticks the services, the company page shows them and every person gets a line', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, director);
    const page = `/office/companies/${f.companyId}/retention`;
    const csrf = await csrfToken(agent, page);
    const res = await agent.post(`/office/companies/${f.companyId}/services`).type('form').send({ _csrf: csrf, service: ['shakai-hoken', 'nencho'] });
    expect(res.status).toBe(303);
    const shown = await agent.get(res.headers.location!);
    expect(shown.text).toContain('保存しました。');
    expect(shown.text).toMatch(/value="shakai-hoken" checked/);
    expect(shown.text).toMatch(/value="nencho" checked/);
    expect(shown.text).not.toMatch(/value="rodo-hoken" checked/);
    expect(shown.text).toContain('在職中のため廃棄日なし');
  });

  it('when the client reports a leaver in the room, the office sees the date with its basis; the room never shows a number', async () => {
    const { agent, base } = await room();
    const list = await agent.get(`${base}/leavers`);
    expect(list.status).toBe(200);
    expect(list.text).toContain('山田 太郎');
    expect(list.text).toContain('E001');
    expect(list.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    const csrf = await csrfToken(agent, `${base}/leavers`);
    const sent = await agent.post(`${base}/leavers`).type('form').send({ _csrf: csrf, [`on_${f.taro}`]: '2026-03-31' });
    expect(sent.status).toBe(303);
    expect((await agent.get(sent.headers.location!)).text).toContain('1名分をお知らせしました。');

    const { agent: office } = await signedInAgent(t.app, t.deps, staff);
    const page = await office.get(`/office/companies/${f.companyId}/retention`);
    expect(page.text).toContain('退職日 2026-03-31 + 扶養控除等申告書 7年 → 2034-01-11 以降に廃棄');
    expect(page.text).toContain('2034-01-11 以降に廃棄（根拠未確認の期間を含む）');
  });

  it('when the client enters a future date among others, nothing is recorded and the room says why', async () => {
    const { agent, base } = await room();
    const csrf = await csrfToken(agent, `${base}/leavers`);
    const sent = await agent.post(`${base}/leavers`).type('form').send({ _csrf: csrf, [`on_${f.jiro}`]: '2026-11-30', [`on_${f.hanako}`]: '2027-01-01' });
    expect(sent.status).toBe(303);
    const page = await agent.get(sent.headers.location!);
    expect(page.text).toContain('未来の日付は登録できません');
    const row = await t.deps.db.selectFrom('person_retention').selectAll().where('person_id', '=', f.jiro).executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it("when a client names a person of another company, it is not found and nothing is recorded", async () => {
    const other = await makeHeldFamily(t.deps, '他社株式会社');
    const { agent, base } = await room();
    const csrf = await csrfToken(agent, `${base}/leavers`);
    const sent = await agent.post(`${base}/leavers`).type('form').send({ _csrf: csrf, [`on_${other.taro}`]: '2026-03-31' });
    expect(sent.status).toBe(404);
    expect(await t.deps.db.selectFrom('person_retention').selectAll().where('person_id', '=', other.taro).executeTakeFirst()).toBeUndefined();
  });

  it('when staff put a person on hold from the person page, the page says so, and the 廃棄予定 table counts them apart', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, staff);
    const csrf = await csrfToken(agent, `/office/persons/${f.taro}`);
    const res = await agent.post(`/office/persons/${f.taro}/hold`).type('form').send({ _csrf: csrf, reason: '労基署調査のため' });
    expect(res.status).toBe(303);
    const page = await agent.get(res.headers.location!);
    expect(page.text).toContain('保留中（理由: 労基署調査のため）');
    const table = await agent.get('/office/retention');
    expect(table.status).toBe(200);
    expect(table.text).toContain('山田商事株式会社');
    expect(table.text).not.toContain('山田 太郎');
  });

  it('when a client tries an office retention page, it is not found; when staff try to change the services, it is forbidden', async () => {
    const { agent } = await room();
    expect((await agent.get('/office/retention')).status).toBe(404);
    const { agent: s } = await signedInAgent(t.app, t.deps, staff);
    const csrf = await csrfToken(s, `/office/companies/${f.companyId}/retention`);
    expect((await s.post(`/office/companies/${f.companyId}/services`).type('form').send({ _csrf: csrf, service: 'rodo-hoken' })).status).toBe(403);
  });
});
