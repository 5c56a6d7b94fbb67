import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { freePort } from '../helpers/servers.js';
import { clientInRoom, installOfficeKey, type RoomClient } from '../drops/helpers.js';
import { describeWithChromium, launchChromium, listenOn } from './browser.js';

/**
 * When in-browser encryption cannot start — OpenPGP.js does not load (the
 * dot-folder 403 of issue 11, a proxy, an old browser) or the page has no
 * WebCrypto — the room page says so plainly, says the server will encrypt on
 * arrival, and never shows the "encrypted on this computer" wording; the
 * receipt of such a drop says the server encrypted it. Real Chromium.
 */
const CSV = path.join('/work/shared/fixtures', 'sample_roster.csv');
const BROWSER_WORDING = 'このパソコンの中で事務所の鍵によって暗号化されてから送られます';
const CLIENT_KIND = 'お使いのパソコンで暗号化';
const SERVER_KIND = '受け取りながらサーバーで暗号化';

describeWithChromium()('room page when in-browser encryption cannot start (e2e)', () => {
  let t: TestApp;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let c: RoomClient;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin });
    await installOfficeKey(t.deps);
    c = await clientInRoom(t, 'ふじ電機株式会社');
    server = await listenOn(t.app, port);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  /** A browser signed in as the client (the session made over HTTP, its cookies handed to Chromium). */
  async function roomPage(prepare?: (ctx: BrowserContext) => Promise<unknown>): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP' });
    contexts.push(ctx);
    await ctx.addCookies(c.cookies.split('; ').map((kv) => {
      const i = kv.indexOf('=');
      return { name: kv.slice(0, i), value: kv.slice(i + 1), url: origin };
    }));
    if (prepare) await prepare(ctx);
    const page = await ctx.newPage();
    await page.goto(`${origin}${c.base}`);
    return page;
  }

  async function lastDropKind(): Promise<string> {
    const row = await t.deps.db.selectFrom('drops').select('kind').orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    return row.kind;
  }

  async function sendWithPlainForm(page: Page): Promise<string> {
    await page.setInputFiles('#drop-files', [CSV]);
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('.drop-form button[type=submit]')]);
    expect(response.status()).toBe(201);
    await page.waitForSelector('h1:text("受領証")');
    return page.innerText('main');
  }

  it('normally: the browser encrypts, the notice stays hidden, the receipt says “on your computer”', async () => {
    const page = await roomPage();
    await page.waitForSelector('#drop-panel.enhanced');
    expect(await page.getAttribute('#drop-panel', 'data-encryption')).toBe('browser');
    expect(await page.isVisible('#drop-fallback')).toBe(false);
    expect(await page.innerText('#drop-panel')).toContain(BROWSER_WORDING);
    await page.setInputFiles('#drop-files', [CSV]);
    await page.waitForSelector('.drop-item[data-state="done"] .drop-kind');
    expect(await page.textContent('.drop-kind')).toBe(CLIENT_KIND);
    expect(await lastDropKind()).toBe('client-encrypted');
  }, 60_000);

  it('OpenPGP.js blocked: the page says why and that the server encrypts on arrival; the receipt says the server encrypted it', async () => {
    const page = await roomPage((ctx) => ctx.route('**/static/vendor/openpgp.min.mjs', (r) => r.fulfill({ status: 403, body: 'denied' })));
    await page.waitForSelector('#drop-fallback', { state: 'visible' });
    const notice = await page.innerText('#drop-fallback');
    expect(notice).toContain('送る前の暗号化を始められませんでした');
    expect(notice).toContain('暗号化の部品（OpenPGP.js）を事務所のサーバーから読み込めませんでした');
    expect(notice).toContain('サーバーが受け取りながら暗号化します');
    expect(await page.$('#drop-panel.enhanced')).toBeNull();
    expect(await page.getAttribute('#drop-panel', 'data-encryption')).toBe('server');
    // Nothing visible claims the browser encrypts.
    expect(await page.innerText('body')).not.toContain(BROWSER_WORDING);
    expect(await page.isVisible('.drop-form button[type=submit]')).toBe(true);
    await page.screenshot({ path: '/tmp/kinko-room-fallback.png', fullPage: true });

    const receipt = await sendWithPlainForm(page);
    expect(receipt).toContain(SERVER_KIND);
    expect(receipt).not.toContain(CLIENT_KIND);
    expect(receipt).not.toContain(BROWSER_WORDING);
    expect(await lastDropKind()).toBe('server-encrypted');
    // The receipt page of the drop, opened later from the history, says the same.
    const href = await page.getAttribute('a[href$="/drops"]', 'href');
    await page.goto(`${origin}${href}`);
    const history = await page.innerText('main');
    expect(history).not.toContain(CLIENT_KIND);
  }, 60_000);

  it('no WebCrypto on the page: the reason says so, and the same honest fallback', async () => {
    const page = await roomPage((ctx) => ctx.addInitScript(() => {
      Object.defineProperty(globalThis.crypto, 'subtle', { get: () => undefined, configurable: true });
    }));
    await page.waitForSelector('#drop-fallback', { state: 'visible' });
    expect(await page.innerText('#drop-fallback')).toContain('暗号化に必要な機能（Web Crypto）が使えません');
    expect(await page.innerText('body')).not.toContain(BROWSER_WORDING);
    const receipt = await sendWithPlainForm(page);
    expect(receipt).toContain(SERVER_KIND);
    expect(await lastDropKind()).toBe('server-encrypted');
  }, 60_000);

  it('in English too', async () => {
    const page = await roomPage((ctx) => ctx.route('**/static/vendor/openpgp.min.mjs', (r) => r.abort()));
    await page.goto(`${origin}${c.base}?lang=en`);
    await page.waitForSelector('#drop-fallback', { state: 'visible' });
    const notice = await page.innerText('#drop-fallback');
    expect(notice).toContain('Encryption in this browser could not be started');
    expect(notice).toContain('the office server encrypts them as they arrive');
    expect(await page.innerText('body')).not.toContain('encrypted on this computer');
    await page.goto(`${origin}${c.base}?lang=ja`);
    expect(fs.existsSync(CSV)).toBe(true);
  }, 60_000);
});
