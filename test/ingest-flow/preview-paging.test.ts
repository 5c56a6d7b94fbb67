import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PREVIEW_PAGE_SIZE, REVIEW_PAGE_SIZE } from '../../server/ingest/preview-view.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { bigRoster, form, read } from './preview-pages.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, numberForms, rosterCsv, type Office, type Person } from '../helpers/ingest-office.js';

/**
 * The preview of a large file, as the staff member checks it: a page at a
 * time, the rows held back first, exclusions and repairs saved page by page
 * (no JavaScript) and honoured by the confirmation.
 */
type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

describe.each(testDatabases())('ingest preview of a large file: pages, saved choices, confirmation (on $name)', (target) => {
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

  /** Starts the ingest of a roster; the preview's address. */
  async function start(people: Person[], extraCsv = ''): Promise<{ url: string; dropId: string }> {
    const csv = Buffer.concat([rosterCsv(people), Buffer.from(extraCsv, 'utf8')]);
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv));
    const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
    const res = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    expect(res.status).toBe(303);
    return { url: res.headers.location as string, dropId: drop.id };
  }

  async function page(url: string, query = '') {
    const res = await agent.get(`${url}${query}`);
    expect(res.status).toBe(200);
    return { res, ...read(res.text) };
  }

  /** Posts one page's form to "save this page's choices". */
  async function save(p: ReturnType<typeof read>, ticks: { exclude?: string[]; repair?: string[] }, over: Partial<Record<'version' | 'shown' | 'shownRepair', string>> = {}) {
    return agent
      .post(p.action)
      .type('form')
      .send(
        form([
          ['_csrf', p.csrf],
          ['version', over.version ?? p.version],
          ['shown', over.shown ?? p.shown],
          ['shownRepair', over.shownRepair ?? p.shownRepair],
          ...(ticks.exclude ?? []).map((k): [string, string] => ['exclude', k]),
          ...(ticks.repair ?? []).map((k): [string, string] => ['repair', k]),
        ]),
      );
  }

  it('is paged: 50 people a page, page x of y, each page other people, every person on exactly one page; the rows held back come first', async () => {
    const { people, numbers } = bigRoster(1000, 9001); // 1,000 employees + 200 spouses
    const total = 1200;
    const pages = Math.ceil(total / PREVIEW_PAGE_SIZE);
    const { url } = await start(people);

    const first = await page(url);
    expect(first.keys).toHaveLength(PREVIEW_PAGE_SIZE);
    expect(first.res.text).toContain(`1 / ${pages} ページ（1,200 人のうち 1〜50 人目）`);
    expect(first.res.text).toContain('金庫に追加する人: 1,200 人');
    expect(first.res.text).toContain('読み取った人（1,200 人）');
    // Summary, then the rows held back, then the people.
    const at = (s: string) => first.res.text.indexOf(s);
    expect(at('id="summary-title"')).toBeLessThan(at('id="review"'));
    expect(at('id="review"')).toBeLessThan(at('id="persons"'));
    // Buttons of the page's form to the other pages (moving saves this page's ticks).
    expect(first.res.text).toContain(`formaction="${url}/selection?page=2&amp;go=persons"`);
    expect(first.res.text).toContain(`formaction="${url}/selection?page=${pages}&amp;go=persons"`);

    const second = await page(url, '?page=2');
    expect(second.keys).toHaveLength(PREVIEW_PAGE_SIZE);
    expect(second.res.text).toContain(`2 / ${pages} ページ（1,200 人のうち 51〜100 人目）`);
    expect(second.keys.filter((k) => first.keys.includes(k))).toEqual([]);
    expect([...second.names.values()].filter((n) => [...first.names.values()].includes(n))).toEqual([]);

    const seen: string[] = [];
    for (let n = 1; n <= pages; n++) seen.push(...(await page(url, `?page=${n}`)).keys);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const beyond = await page(url, '?page=999');
    expect(beyond.res.text).toContain(`${pages} / ${pages} ページ`);
    expect((await page(url, '?page=abc')).res.text).toContain(`1 / ${pages} ページ`);

    // Masked numbers only, on every page.
    for (const html of [first.res.text, second.res.text]) for (const f of numberForms(numbers)) expect(html.includes(f)).toBe(false);
  }, 120_000);

  it('an exclusion saved on page 2 survives going to page 1, shows under "excluded", and the confirmation leaves that person out', async () => {
    const { people } = bigRoster(130, 7007); // 130 + 26 = 156 people, 4 pages
    const { url, dropId } = await start(people);
    const two = await page(url, '?page=2');
    const out = two.keys[7]!;
    const outName = two.names.get(out)!;
    const saved = await save(two, { exclude: [out] });
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe(`${url}?page=2&saved=1#persons`);

    const one = await page(url);
    expect(one.keys).not.toContain(out);
    expect(one.res.text).toContain('取り込みから除外する人: 1 人');
    const back = await page(url, '?page=2&saved=1');
    expect(back.res.text).toContain('このページの選択を保存しました。');
    expect(back.boxes.find((b) => b.key === out)).toEqual({ key: out, checked: true });
    expect(back.boxes.filter((b) => b.checked)).toHaveLength(1);
    const excluded = await page(url, '?status=excluded');
    expect([...excluded.names.values()]).toEqual([outName]);

    // Confirmed from page 1's form, with one more box ticked there (not saved first): both are left out.
    const alsoOut = one.keys[0]!;
    const alsoName = one.names.get(alsoOut)!;
    const confirm = await agent
      .post(`${url}/confirm`)
      .type('form')
      .send(form([['_csrf', one.csrf], ['version', one.version], ['shown', one.shown], ['shownRepair', one.shownRepair], ['exclude', alsoOut]]));
    expect(confirm.status).toBe(303);
    expect(confirm.headers.location).toBe(`/office/drops/${dropId}?committed=1`);
    const names = (await t.deps.db.selectFrom('persons').select('name').where('source_drop_id', '=', dropId).execute()).map((r) => r.name);
    expect(names).toHaveLength(156 - 2);
    expect(names).not.toContain(outName);
    expect(names).not.toContain(alsoName);
    const job = await t.deps.db.selectFrom('ingest_jobs').selectAll().where('drop_id', '=', dropId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ persons_added: 154, excluded: 2 });
  }, 120_000);

  it('saving a page replaces only that page\'s choices: unticking there brings a person back, other pages keep theirs; a whole page ticked fits in one form', async () => {
    const { people } = bigRoster(150, 6006); // 180 people, 4 pages
    const { url } = await start(people);
    const one = await page(url);
    const three = await page(url, '?page=3');
    expect((await save(one, { exclude: [one.keys[1]!, one.keys[2]!] })).status).toBe(303);
    const all = await save(three, { exclude: three.keys });
    expect(all.status).toBe(303); // not 413: 50 ticks and the fixed fields stay under the form parser's 100
    expect((await page(url)).res.text).toContain(`取り込みから除外する人: ${2 + PREVIEW_PAGE_SIZE} 人`);

    const again = await page(url);
    expect(again.boxes.filter((b) => b.checked).map((b) => b.key)).toEqual([one.keys[1], one.keys[2]]);
    expect((await save(again, { exclude: [one.keys[2]!] })).status).toBe(303);
    const after = await page(url);
    expect(after.boxes.filter((b) => b.checked).map((b) => b.key)).toEqual([one.keys[2]]);
    expect(after.res.text).toContain(`取り込みから除外する人: ${1 + PREVIEW_PAGE_SIZE} 人`);
    expect(PREVIEW_PAGE_SIZE + REVIEW_PAGE_SIZE + 5).toBeLessThanOrEqual(100); // 4 fixed fields and the page-number box
  }, 120_000);

  it('a form made for an older reading of the file is refused, and nothing of it is saved; so is a confirmation', async () => {
    const { people } = bigRoster(60, 5005);
    const { url, dropId } = await start(people);
    const one = await page(url);
    const stale = await save(one, { exclude: [one.keys[0]!] }, { version: String(Number(one.version) + 1) });
    expect(stale.status).toBe(303);
    expect(stale.headers.location).toBe(`${url}?changed=1`);
    const shown = await page(url, '?changed=1');
    expect(shown.res.text).toContain('確認画面の内容が変わりました');
    expect(shown.res.text).toContain('取り込みから除外する人: 0 人');
    expect(shown.boxes.filter((b) => b.checked)).toEqual([]);

    const confirm = await agent
      .post(`${url}/confirm`)
      .type('form')
      .send(form([['_csrf', one.csrf], ['version', '99'], ['shown', one.shown], ['exclude', one.keys[0]!]]));
    expect(confirm.status).toBe(303);
    expect(confirm.headers.location).toBe(`${url}?changed=1`);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', dropId).execute()).toEqual([]);
    expect((await page(url)).res.text).toContain('取り込みから除外する人: 0 人');
  }, 60_000);

  it('keys the file does not have are ignored: nothing is excluded or repaired by a crafted form', async () => {
    const { people } = bigRoster(60, 4004); // 72 people: p0 … p71
    const { url } = await start(people);
    const one = await page(url);
    const res = await save(one, { exclude: ['p72', 'p9999999', 'r0', 'x1', 'p01'], repair: ['r0', 'p3'] }, { shown: 'p72,p9999999,r0,../p1,p01', shownRepair: 'r0,r5' });
    expect(res.status).toBe(303);
    const after = await page(url);
    expect(after.res.text).toContain('取り込みから除外する人: 0 人');
    expect(after.res.text).not.toContain('先頭の 0 を補って取り込む行');
    expect(after.boxes.filter((b) => b.checked)).toEqual([]);
  }, 60_000);

  it('an Excel-damaged row is listed before the people with its repair box; a saved repair makes it a person to add, kept across pages', async () => {
    const { people } = bigRoster(60, 3003);
    const zero = syntheticMyNumbers(400, 33).find((n) => n.startsWith('0'))!;
    const { url, dropId } = await start(people, `E09999,零 修復,レイ シュウフク,${zero.slice(1)},,,2020/04/01\r\n`);
    const one = await page(url);
    expect(one.repairs).toEqual([{ key: 'r0', checked: false }]);
    expect(one.shownRepair).toBe('r0');
    expect(one.res.text.indexOf('先頭の 0 を補った番号')).toBeLessThan(one.res.text.indexOf('id="persons"'));
    expect((await save(one, { repair: ['r0'] })).status).toBe(303);

    const two = await page(url, '?page=2');
    expect(two.repairs).toEqual([{ key: 'r0', checked: true }]);
    expect(two.res.text).toContain('先頭の 0 を補って取り込む行: 1 行');
    expect(two.names.get('r0')).toBe('零 修復'); // now among the people, at the end of the list
    expect(two.res.text).toContain(`**** **** ${zero.slice(-4)}`);

    const confirm = await agent.post(`${url}/confirm`).type('form').send(form([['_csrf', one.csrf], ['version', one.version]]));
    expect(confirm.status).toBe(303);
    const rows = await t.deps.db.selectFrom('persons').select('name').where('source_drop_id', '=', dropId).where('name', '=', '零 修復').execute();
    expect(rows).toHaveLength(1);
  }, 60_000);

  it('only the claimant can save choices: another staff member gets the "preview gone" page, a client gets 404; nothing changes', async () => {
    const { people } = bigRoster(20, 2002);
    const { url } = await start(people);
    const one = await page(url);
    const plain = (await signedInAgent(t.app, t.deps, office.plain)).agent;
    const csrf = await csrfToken(plain, '/office/drops');
    const res = await plain.post(`${url}/selection`).type('form').send(form([['_csrf', csrf], ['version', one.version], ['shown', one.shown], ['exclude', one.keys[0]!]]));
    expect(res.status).toBe(410);
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    const clientCsrf = await csrfToken(client, '/');
    expect((await client.post(`${url}/selection`).type('form').send(form([['_csrf', clientCsrf], ['version', one.version], ['shown', one.shown], ['exclude', one.keys[0]!]]))).status).toBe(404);
    expect((await page(url)).boxes.filter((b) => b.checked)).toEqual([]);
  }, 60_000);
});
