import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { noteArrival } from '../../server/notify/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { freePort } from '../helpers/servers.js';
import { arrangeDrop, encryptToOffice, rosterCsv, type Person } from '../helpers/ingest-office.js';
import { describeWithChromium, launchChromium, listenOn, MovableClock } from './browser.js';
import { arrangeIngestOffice, signIn, type IngestOffice } from './ingest-helpers.js';
import { layoutProblems, SCREENSHOT_DIR, screenshotPath, type LayoutProblems } from './layout-check.js';

/**
 * Issue 11, item 10: every office and room page, signed in as the director
 * and as a client in real Chromium, at 1280 px (a desktop) and 390 px (a
 * phone). Each is saved as a screenshot (test-artifacts/screenshots/, kept by
 * CI) and checked in the page: nothing scrolls sideways, no count wraps onto
 * two lines, no table cell squeezes a token down letter by letter.
 */
const COMPANY = 'さくら精機株式会社';
const WIDTHS = [1280, 390] as const;
const LONG_FILE = '従業員名簿_2026年4月_本社および大阪支店分_最終版.csv';

describeWithChromium()('every office and room page at 1280 and 390 px (e2e)', () => {
  const clock = new MovableClock();
  let t: TestApp;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let office: IngestOffice;
  let roomUrl: string;
  const contexts: BrowserContext[] = [];
  const pageProblems: string[] = [];
  /** Every page checked: name → width → problems. */
  const checked = new Map<string, Map<number, LayoutProblems & { url: string }>>();
  const dropIds: string[] = [];
  /**
   * Pages where nothing may scroll sideways even inside the page — forms laid
   * out as tables, filled in on a phone. Elsewhere a wide table one only
   * reads may scroll inside itself (logged at the end, not failed).
   */
  const noInnerScroll = new Set(['office-safeguards', 'office-custody-reports', 'room-custody-reports']);

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageProblems.push(`${page.url()}: ${e.message}`));
    return page;
  }

  /** Opens `url` at each width, saves a screenshot and records what the in-page checks found. */
  async function visit(page: Page, name: string, url: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      const res = await page.goto(`${origin}${url}`);
      expect({ name, status: res?.status() }).toEqual({ name, status: 200 });
      await page.screenshot({ path: screenshotPath(name, width), fullPage: true });
      const found = await layoutProblems(page);
      if (!checked.has(name)) checked.set(name, new Map());
      checked.get(name)!.set(width, { ...found, url: page.url().replace(origin, '') });
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin }, { clock });
    server = await listenOn(t.app, port);
    office = await arrangeIngestOffice(t.deps, COMPANY);
    roomUrl = `/room/${office.company.accessKey}`;
    // Two drops, as the room leaves them, announced to the office: a roster
    // with a spouse, and one under a long Japanese file name.
    const n = [...new Set(syntheticMyNumbers(12, 1110))];
    const people: Person[] = [
      { code: 'E000123', name: '山田 太郎', kana: 'ヤマダ タロウ', number: n[0]!, spouse: { name: '山田 花子', number: n[1]! } },
      { code: 'E000124', name: '髙橋 一郎', kana: 'タカハシ イチロウ', number: n[2]! },
      { code: 'E000125', name: '佐々木 健', kana: 'ササキ ケン', number: n[3]! },
    ];
    for (const [csv, file] of [
      [rosterCsv(people), '社員名簿.csv'],
      [rosterCsv([{ code: 'E000200', name: '渡辺 明', kana: 'ワタナベ アキラ', number: n[4]! }]), LONG_FILE],
    ] as const) {
      const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv), file);
      dropIds.push(drop.id);
    }
    await noteArrival(t.deps, { companyId: office.company.id, dropIds });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
    console.log(`[kinko e2e] layout screenshots: ${SCREENSHOT_DIR}`);
    const regions = [...checked].flatMap(([name, byWidth]) => [...byWidth].flatMap(([width, p]) => p.scrollRegions.map((r) => `${name} @${width}: ${r}`)));
    if (regions.length) console.log(`[kinko e2e] regions that scroll sideways inside a page (allowed outside noInnerScroll):\n  ${regions.join('\n  ')}`);
  });

  it('the director’s pages, through an ingest', async () => {
    const page = await newPage();
    await visit(page, 'office-login', '/office/login');
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, clock, `${origin}/office/login`, office.director, `${origin}/office`);

    await visit(page, 'office-menu', '/office');
    await visit(page, 'office-drops', '/office/drops');
    await visit(page, 'office-drop-received', `/office/drops/${dropIds[1]}`);

    // An ingest: the preview, then the drop once ingested (disposal record).
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${origin}/office/drops/${dropIds[0]}`);
    await page.fill('#passphrase', office.director.keyPassphrase);
    await Promise.all([page.waitForURL(/\/office\/ingest\//), page.click('form[action$="/ingest"] button[type=submit]')]);
    const preview = page.url().replace(origin, '');
    await visit(page, 'office-ingest-preview', preview);
    await page.setViewportSize({ width: 1280, height: 900 });
    await Promise.all([page.waitForURL(/committed=1/), page.click('button.confirm')]);
    await visit(page, 'office-drop-ingested', `/office/drops/${dropIds[0]}`);

    const person = await t.deps.db.selectFrom('persons').select('id').where('employee_code', '=', 'E000123').where('relation', '=', '本人').executeTakeFirstOrThrow();
    await visit(page, 'office-holdings', '/office/persons');
    await visit(page, 'office-persons', `/office/companies/${office.company.id}/persons`);
    await visit(page, 'office-person', `/office/persons/${person.id}`);
    await visit(page, 'office-companies', '/office/companies');
    await visit(page, 'office-company', `/office/companies/${office.company.id}`);
    await visit(page, 'office-company-new', '/office/companies/new');
    await visit(page, 'office-staff', '/office/staff');
    await visit(page, 'office-staff-new', '/office/staff/new');
    await visit(page, 'office-key-holder', `/office/staff/${office.plain.id}/key-holder`);
    await visit(page, 'office-audit', '/office/audit');
    await visit(page, 'office-reveal-blocks', '/office/reveal-blocks');
    await visit(page, 'office-sessions', '/office/sessions');
    await visit(page, 'office-key-passphrase', '/office/key/passphrase');
    await visit(page, 'office-step-up', '/office/step-up');
    await visit(page, 'office-safeguards', '/office/oversight/safeguards');
    await visit(page, 'office-custody-reports', `/office/companies/${office.company.id}/custody-reports`);
    await visit(page, 'office-identity-images', '/office/settings/identity-images');
  }, 180_000);

  it('the client’s pages', async () => {
    const page = await newPage();
    await visit(page, 'room-login', roomUrl);
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, clock, `${origin}${roomUrl}`, office.client, `${origin}${roomUrl}`);
    await visit(page, 'room', roomUrl);
    await visit(page, 'room-drops', `${roomUrl}/drops`);
    await visit(page, 'room-receipt', `${roomUrl}/drops/${dropIds[1]}`);
    await visit(page, 'room-sessions', `${roomUrl}/sessions`);
    await visit(page, 'room-custody-reports', `${roomUrl}/custody-reports`);
  }, 120_000);

  it('no page scrolls sideways, wraps a count or squeezes a token letter by letter, at either width', () => {
    expect(checked.size).toBeGreaterThanOrEqual(24);
    for (const name of noInnerScroll) expect({ name, checked: checked.has(name) }).toEqual({ name, checked: true });
    const problems: string[] = [];
    for (const [name, byWidth] of checked) {
      for (const [width, p] of byWidth) {
        if (p.overflow) problems.push(`${name} @${width} (${p.url}): ${p.overflow}`);
        for (const c of p.wrappedCounts) problems.push(`${name} @${width}: count wraps: ${c}`);
        for (const c of p.letterColumns) problems.push(`${name} @${width}: letter-by-letter cell: ${c}`);
        if (noInnerScroll.has(name)) for (const c of p.scrollRegions) problems.push(`${name} @${width}: a region scrolls sideways inside the page: ${c}`);
      }
    }
    expect(problems).toEqual([]);
    expect(pageProblems).toEqual([]);
  });
});
