import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, type Office, type Person } from '../helpers/ingest-office.js';
import { bigRoster, form, read } from './preview-pages.js';

/**
 * Issue 11, item 9: a 200-row file loses no ticks between pages. Every way
 * to another page (pager, filter, page number) is a button of the page's own
 * form, so moving keeps this page's ticks, without JavaScript and without
 * pressing "save" first; the whole file's totals are on every page.
 */
type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

/** The formaction of the first button whose text is `label` (HTML entities of `&` undone). */
function buttonTo(html: string, label: string): string {
  const m = new RegExp(`<button type="submit" class="pager-link"[^>]*formaction="([^"]+)"[^>]*>${label}`).exec(html);
  if (!m) throw new Error(`no button 「${label}」 on the page`);
  return m[1]!.replace(/&amp;/g, '&');
}

describe.each(testDatabases())('moving between preview pages keeps the ticks (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  let agent: Agent;

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    office = await arrangeOffice(t.deps);
    agent = (await signedInAgent(t.app, t.deps, office.director)).agent;
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  async function start(people: Person[]): Promise<{ url: string; dropId: string }> {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(people)));
    const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
    const res = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    expect(res.status).toBe(303);
    return { url: res.headers.location as string, dropId: drop.id };
  }

  async function page(url: string, query = '') {
    const res = await agent.get(`${url}${query}`);
    expect(res.status).toBe(200);
    return { html: res.text, ...read(res.text) };
  }

  /** Submits one page's form through the button at `action`, with these boxes ticked (and any extra fields). */
  function submit(p: ReturnType<typeof read>, action: string, exclude: string[], extra: Array<[string, string]> = []) {
    return agent
      .post(action)
      .type('form')
      .send(form([['_csrf', p.csrf], ['version', p.version], ['shown', p.shown], ['shownRepair', p.shownRepair], ...exclude.map((k): [string, string] => ['exclude', k]), ...extra]));
  }

  // (First: the next test commits, and its roster's employee codes would make these number changes.)
  it('every page shows the totals of the whole file, the same on each', async () => {
    const { people } = bigRoster(120, 1110); // 144 people: 3 pages
    const { url } = await start(people);
    const totals = '全体の合計（すべてのページ）: 追加 144 人・保管済み 0 人・保留 0 行・除外 0 人';
    for (const q of ['', '?page=2', '?page=3', '?status=add&page=2']) expect((await page(url, q)).html).toContain(totals);
  }, 60_000);

  it('ticks made on a page are kept when the staff member moves on with the pager, a filter or the page-number box, and the confirmation honours them', async () => {
    const { people } = bigRoster(200, 1109); // 200 employees + 40 spouses: 5 pages of 50
    const { url, dropId } = await start(people);

    // Page 2: tick two boxes, then go on with 「次のページ」 (no "save" pressed).
    const two = await page(url, '?page=2');
    const out = [two.keys[3]!, two.keys[40]!];
    const next = await submit(two, buttonTo(two.html, '次のページ'), out);
    expect(next.status).toBe(303);
    expect(next.headers.location).toBe(`${url}?page=3#persons`);

    // Page 3 says the whole file's totals already count them; page 2 still has them ticked.
    const three = await page(url, '?page=3');
    expect(three.html).toContain('全体の合計（すべてのページ）: 追加 238 人・保管済み 0 人・保留 0 行・除外 2 人');
    expect((await page(url, '?page=2')).boxes.filter((b) => b.checked).map((b) => b.key)).toEqual(out);

    // A tick on page 3, then the 「除外」 filter: the list shows all three.
    const more = three.keys[0]!;
    const filter = await submit(three, buttonTo(three.html, '除外（'), [more]);
    expect(filter.status).toBe(303);
    expect(filter.headers.location).toBe(`${url}?status=excluded#persons`);
    expect((await page(url, '?status=excluded')).keys.sort()).toEqual([...out, more].sort());

    // A tick on page 1, then the page-number box (page 5): kept too.
    const one = await page(url);
    const jump = /formaction="([^"]+jump=1)"/.exec(one.html)![1]!.replace(/&amp;/g, '&');
    const moved = await submit(one, jump, [one.keys[0]!], [['goto', '5']]);
    expect(moved.headers.location).toBe(`${url}?page=5#persons`);
    const five = await page(url, '?page=5');
    expect(five.html).toContain('5 / 5 ページ');
    expect(five.html).toContain('除外 4 人');

    // The confirmation, from page 5's form: the four are left out.
    const confirm = await submit(five, `${url}/confirm`, []);
    expect(confirm.status).toBe(303);
    const job = await t.deps.db.selectFrom('ingest_jobs').selectAll().where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ persons_added: 236, excluded: 4 });
  }, 120_000);
});
