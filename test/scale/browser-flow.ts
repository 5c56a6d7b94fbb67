import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser.js';
import { PREVIEW_PAGE_SIZE } from '../../server/ingest/preview-view.js';
import { digits, FIXTURES, loadTruth, readPersonPages } from '../e2e/ingest-helpers.js';
import { screenshotPath } from '../e2e/layout-check.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import type { Cluster } from './cluster.js';
import { TotpSteps } from './totp-steps.js';

/**
 * Issue 17 §2 in real Chromium, every request through nginx (round robin, no
 * stickiness), so each page, form and script call may land on either
 * instance: the director sets the office up from the link an instance printed,
 * signs in, creates a client company; the client signs in from the credential
 * sheet, enrols and drops the sample roster through the room page (encrypted
 * in the browser); the director ingests it (preview, confirm), reveals one
 * person, revokes the room, and verifies the audit trail. Each step asserts
 * what the page says; at the end nginx's access log shows that both
 * instances served the browser, that a page of the preview was served by the
 * instance that does not hold it, and that no request got a 5xx.
 *
 * Must run first in the suite: it does the setup, which only works while the
 * office has no director (the other parts make theirs with setUpOffice if
 * nobody did). Assertions compare names and booleans, never print a number.
 */
const FILE = 'sample_roster.csv';
const COMPANY = 'ふたば物産株式会社';
const shot = (page: Page, name: string) => page.screenshot({ path: screenshotPath(`scale-${name}`, 1280), fullPage: true });

export function browserTests(get: () => Cluster): void {
  const truth = loadTruth()[FILE];
  const totp = new TotpSteps();
  let c: Cluster;
  let browser: Browser;
  let firstLine = 0;
  const contexts: BrowserContext[] = [];
  const pageProblems: string[] = [];
  /** Set while a page is expected to answer 404 (the revoked room): Chromium logs that as a console error. */
  let expect404 = false;
  const sheet = { roomUrl: '', loginId: '', password: '' };
  let directorPage: Page;
  let clientPage: Page;
  let dropId = '';

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' || m.location().url.endsWith('/favicon.ico')) return;
      if (expect404 && m.text().includes('404')) return;
      pageProblems.push(`${page.url()} (${m.location().url}): ${m.text()}`);
    });
    page.on('pageerror', (e) => pageProblems.push(`${page.url()}: ${e.message}`));
    return page;
  }

  /** A form's submit, and the page it leads to, which must say `heading` in its h1. */
  async function submitTo(page: Page, button: string, url: string | RegExp, heading?: string): Promise<void> {
    await Promise.all([page.waitForURL(url, { timeout: 60_000 }), page.click(button)]);
    if (heading !== undefined) expect(await page.textContent('h1')).toBe(heading);
  }

  beforeAll(async () => {
    c = get();
    firstLine = c.upstreams().length;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const x of contexts) await x.close().catch(() => {});
    await browser?.close();
  });

  it('the director sets the office up from the link an instance printed, and signs in through the load balancer', async () => {
    const links = c.instances.flatMap((i) => [...i.out().matchAll(/(http:\/\/\S+\/setup\/[A-Za-z0-9_-]+)/g)].map((m) => m[1]!));
    expect(links.length).toBeGreaterThan(0);
    const link = links.at(-1)!;
    expect(link.startsWith(`${c.lb}/setup/`)).toBe(true); // the printed link is the office's one address
    directorPage = await newPage();
    const page = directorPage;
    await page.goto(link);
    expect(await page.textContent('h1')).toBe('kinko の初期設定');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.fill('#officeName', DIRECTOR.officeName);
    await page.fill('#directorName', DIRECTOR.directorName);
    await page.fill('#loginId', DIRECTOR.loginId);
    await page.fill('#password', DIRECTOR.password);
    await page.fill('#passwordConfirm', DIRECTOR.password);
    await page.fill('#keyPassphrase', DIRECTOR.keyPassphrase);
    await page.fill('#keyPassphraseConfirm', DIRECTOR.keyPassphrase);
    await page.fill('#totpCode', await totp.code('director', secret));
    await Promise.all([page.waitForLoadState('load'), page.click('form button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('初期設定が完了しました');
    await shot(page, 'setup-done');

    await page.goto(`${c.lb}/office/login`);
    await page.fill('#loginId', DIRECTOR.loginId);
    await page.fill('#password', DIRECTOR.password);
    await page.fill('#totp', await totp.code('director', secret));
    await Promise.all([page.waitForURL(`${c.lb}/office`), page.click('form.login-form button[type=submit]')]);
    expect(await page.textContent('main')).toContain(DIRECTOR.directorName);
  }, 90_000);

  it('the director creates a client company and reads its credential sheet, which names the load balancer', async () => {
    const page = directorPage;
    await page.goto(`${c.lb}/office/companies/new`);
    await totp.stepUpIfAsked(page, 'director');
    await page.fill('#name', COMPANY);
    await page.fill('#contactEmail', 'soumu@futaba.example.jp');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/office/companies"] button[type=submit]')]);
    await page.waitForSelector('.credential-sheet');
    sheet.roomUrl = (await page.textContent('.sheet-url'))!.trim();
    sheet.loginId = (await page.textContent('.sheet-login-id'))!.trim();
    sheet.password = (await page.textContent('.sheet-password'))!.trim();
    expect(sheet.roomUrl).toMatch(new RegExp(`^${c.lb}/room/[A-Za-z0-9_-]{32}$`));
    await shot(page, 'credential-sheet');
  }, 60_000);

  it('the client signs in with the initial password, sets its own, enrols TOTP and drops the roster; the browser encrypts it and the receipt shows', async () => {
    clientPage = await newPage();
    const page = clientPage;
    await page.goto(sheet.roomUrl);
    await page.fill('#loginId', sheet.loginId);
    await page.fill('#password', sheet.password);
    await Promise.all([page.waitForURL(`${sheet.roomUrl}/welcome`), page.click('form.login-form button[type=submit]')]);
    const password = 'futatsu-no-mado-kara-okuru';
    await page.fill('#newPassword', password);
    await page.fill('#newPassword2', password);
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.fill('#code', await totp.code('client', secret));
    await Promise.all([page.waitForURL(sheet.roomUrl), page.click('form.enrol-form button[type=submit]')]);
    await page.waitForSelector('#drop-panel.enhanced');
    expect(await page.textContent('#drop-title')).toBe('事務所にファイルを送る');

    await page.setInputFiles('#drop-files', [path.join(FIXTURES, FILE)]);
    await page.waitForSelector('.drop-item[data-state=done]', { timeout: 60_000 });
    const item = page.locator('.drop-item', { hasText: FILE });
    expect(await item.locator('.drop-status').textContent()).toContain('受け付けました');
    dropId = (await item.locator('.drop-receipt .drop-id').textContent())!.trim();
    await page.waitForSelector(`#drop-history table code:text("${dropId}")`);
    await shot(page, 'room-receipt');
    const row = await c.deps.db.selectFrom('drops').select(['kind', 'state', 'file_name']).where('id', '=', dropId).executeTakeFirstOrThrow();
    expect(row).toEqual({ kind: 'client-encrypted', state: 'received', file_name: FILE });
  }, 90_000);

  it('the director ingests it: the preview (served by either instance) masks the numbers, the confirmation stores them and destroys the original', async () => {
    const page = directorPage;
    await page.goto(`${c.lb}/office/drops`);
    expect(await page.textContent('h1')).toBe('届いたファイル');
    await submitTo(page, `a:text-is("${FILE}")`, `${c.lb}/office/drops/${dropId}`);
    await page.fill('#passphrase', DIRECTOR.keyPassphrase);
    await submitTo(page, 'form[action$="/ingest"] button[type=submit]', /\/office\/ingest\/[A-Za-z0-9_-]{22}$/, '取り込みの確認');
    const previewPath = new URL(page.url()).pathname;
    expect(await page.textContent('main')).toContain(`金庫に追加する人: ${truth.persons.length} 人`);
    // The person list is paged: every page of it, through its "next" button.
    const pages = await readPersonPages(page, c.lb);
    expect(pages).toHaveLength(Math.ceil(truth.persons.length / PREVIEW_PAGE_SIZE));
    const table = pages.map((x) => x.table).join('\n');
    for (const p of truth.persons) expect({ name: p.name, masked: table.includes(`**** **** ${p.number.slice(-4)}`), whole: digits(table).includes(p.number) }).toEqual({ name: p.name, masked: true, whole: false });
    await page.goto(`${c.lb}${previewPath}`);
    await shot(page, 'ingest-preview');

    // The preview lives in the memory of the instance that parsed the file: a reload must
    // reach the other one too (it forwards to the holder). nginx alternates, so a request of
    // our own between reloads changes which instance the next reload reaches.
    const job = await c.deps.db.selectFrom('ingest_jobs as j').innerJoin('kinko_instances as i', 'i.id', 'j.instance_id').select('i.url').where('j.drop_id', '=', dropId).executeTakeFirstOrThrow();
    const holder = new URL(job.url!).host;
    const servedByOther = () => c.upstreams().some((l) => l.startsWith(`GET ${previewPath} 200 `) && !l.endsWith(` ${holder}`));
    for (let i = 0; i < 8 && !servedByOther(); i++) {
      await page.reload();
      expect(await page.textContent('h1')).toBe('取り込みの確認');
      if (!servedByOther()) await fetch(`${c.lb}/healthz`).then((r) => r.arrayBuffer());
    }
    expect(servedByOther()).toBe(true);

    await submitTo(page, 'button[formaction$="/confirm"]', `${c.lb}/office/drops/${dropId}?committed=1`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('金庫への取り込みが完了しました');
    expect(main).toContain(`金庫に追加: ${truth.persons.length} 人`);
    expect(main).toContain(`保留（確認が必要）: ${truth.review.length} 行`);
    expect(main).toContain('残っていないことを確認しました');
    expect(await page.locator('dl.facts').first().textContent()).toContain('廃棄済');
    await shot(page, 'ingest-done');
  }, 120_000);

  it('the director reveals one person for a declared purpose and sees the right number', async () => {
    const page = directorPage;
    const company = await c.deps.db.selectFrom('companies').select('id').where('name', '=', COMPANY).executeTakeFirstOrThrow();
    const p = truth.persons.find((x) => truth.persons.filter((y) => y.name === x.name).length === 1)!;
    await page.goto(`${c.lb}/office/companies/${company.id}/persons`);
    await page.fill('#q', p.name);
    await Promise.all([page.waitForLoadState('load'), page.click('form[method=get] button[type=submit]')]);
    const row = page.locator('tbody tr', { hasText: p.name });
    expect(await row.count()).toBe(1);
    await Promise.all([page.waitForURL(/\/office\/persons\/[A-Za-z0-9_-]+$/), row.locator('a[href^="/office/persons/"]').click()]);
    expect(await page.textContent('h1')).toBe(p.name);
    await page.selectOption('#purpose', 'health-pension');
    await page.fill('#passphrase', DIRECTOR.keyPassphrase);
    await Promise.all([page.waitForLoadState('load'), page.click('form[action$="/reveal"] button[type=submit]')]);
    expect({ name: p.name, right: digits((await page.textContent('#reveal-number'))!) === p.number }).toEqual({ name: p.name, right: true });
    expect(await page.textContent('#reveal')).toContain('健康保険・厚生年金保険');
  }, 60_000);

  it('the director revokes the room; the client’s open page is out at its next request, whichever instance answers', async () => {
    const page = directorPage;
    const company = await c.deps.db.selectFrom('companies').select('id').where('name', '=', COMPANY).executeTakeFirstOrThrow();
    await page.goto(`${c.lb}/office/companies/${company.id}`);
    await totp.stepUpIfAsked(page, 'director');
    await page.check(`form[action$="/revoke"] input[name=confirm]`);
    await submitTo(page, 'form[action$="/revoke"] button[type=submit]', `${c.lb}/office/companies/${company.id}?done=revoked`);
    expect(await page.textContent('main')).toContain('利用を停止しました');

    expect404 = true;
    for (let i = 0; i < 2; i++) {
      // Twice: round robin sends the two reloads to different instances.
      const res = await clientPage.reload();
      expect(res?.status()).toBe(404);
      expect(await clientPage.textContent('main')).toContain('お探しのページは見つかりませんでした');
    }
    expect404 = false;
    await shot(clientPage, 'room-revoked');
  }, 60_000);

  it('the director verifies the audit trail on its page: no tampering found', async () => {
    const page = directorPage;
    await page.goto(`${c.lb}/office/audit`);
    expect(await page.textContent('h1')).toBe('操作の記録（監査ログ）');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/office/audit/verify"] button[type=submit]')]);
    expect(await page.textContent('#verify-result + p')).toMatch(/^[\d,]+ 件の記録を点検しました。改ざんは見つかりませんでした。$/);
    await shot(page, 'audit-verified');
  }, 60_000);

  it('nginx shows both instances served the browser, with no 5xx; the pages logged no script error', () => {
    const lines = c.upstreams().slice(firstLine);
    const served = new Set(lines.map((l) => l.split(' ').pop()));
    expect(served).toEqual(new Set(c.instances.map((i) => `127.0.0.1:${i.port}`)));
    const posts = lines.filter((l) => l.startsWith('POST '));
    expect(new Set(posts.map((l) => l.split(' ').pop())).size).toBe(2);
    expect(lines.filter((l) => / 5\d\d /.test(l))).toEqual([]);
    expect(pageProblems).toEqual([]);
  });
}
