import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { limits } from '../../server/config.js';
import { formatMiB } from '../../server/lib/bytes.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { flushDueNotices } from '../../server/notify/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { freePort } from '../helpers/servers.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';
import { describeWithChromium, gpgDecrypt, launchChromium, listenOn, MovableClock, throttle, totpAt } from './browser.js';

/**
 * The whole client side of a drop, in real Chromium against the real app:
 * the director creates a client company in the console, the client signs in
 * from the credential sheet, enrols, and drops a sample workbook through the
 * room page, which encrypts it in the browser. Then: the receipt, the stored
 * ciphertext opened by GnuPG with the office key, the office inbox, and one
 * content-free e-mail. Also the same room without JavaScript, a refused file,
 * and a failed upload sent again.
 */
const FIXTURES = '/work/shared/fixtures';
const XLSX = path.join(FIXTURES, 'sample_title_rows.xlsx');
const CSV = path.join(FIXTURES, 'sample_roster.csv');
const PDF = path.join(FIXTURES, 'sample_list.pdf');
const COMPANY = 'さくら精機株式会社';
const DIRECTOR_EMAIL = 'shocho@sr-office.example.jp';
const SCREENSHOT = '/tmp/kinko-room.png';
const SCREENSHOT_NARROW = '/tmp/kinko-room-narrow.png';
const SCREENSHOT_PROGRESS = '/tmp/kinko-room-progress.png';
const SCREENSHOT_REFUSED = '/tmp/kinko-room-refused.png';
const SCREENSHOT_NOJS = '/tmp/kinko-room-nojs.png';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A synthetic roster of about `bytes` bytes (names only, no numbers), with a Japanese file name. */
function writeRoster(bytes: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-files-'));
  const lines = ['社員番号,氏名,フリガナ,部署,入社日'];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    const line = `E${String(i).padStart(6, '0')},山田 太郎,ヤマダ タロウ,総務部 第${i % 7}課,2019/04/01`;
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  const file = path.join(dir, '従業員名簿_2025年4月.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describeWithChromium()('drop room in real Chromium (e2e)', () => {
  const clock = new MovableClock();
  let t: TestApp;
  let sink: SmtpSink;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let director: { directorId: string; totpSecret: string };
  let bigCsv: string;
  const contexts: BrowserContext[] = [];
  /** Console errors and CSP violations of every page: must stay empty. */
  const pageProblems: string[] = [];
  let cuttingConnection = false;

  /** What the credential sheet says, and what the client chose at first login. */
  const sheet = { roomUrl: '', loginId: '', password: '' };
  let clientPassword = '';
  let clientTotpSecret = '';
  let clientPage: Page;
  let directorPage: Page;

  async function newPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 }, ...opts });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const source = m.location().url;
      if (source.endsWith('/favicon.ico')) return; // the browser's own guess; kinko has none
      if (cuttingConnection && m.text().includes('ERR_CONNECTION_RESET')) return; // the cut made on purpose below
      pageProblems.push(`${page.url()} (${source}): ${m.text()}`);
    });
    page.on('pageerror', (e) => pageProblems.push(`${page.url()}: ${e.message}`));
    return page;
  }

  async function dropRows() {
    return t.deps.db.selectFrom('drops').selectAll().orderBy('created_at').execute();
  }

  async function storedBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.drops.get(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async function officeSecretKey(): Promise<string> {
    const key = await unlockOfficeKey(t.deps, director.directorId, DIRECTOR.keyPassphrase);
    return key.armor();
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ KINKO_SMTP_URL: sink.url, KINKO_PUBLIC_URL: origin }, { clock });
    server = await listenOn(t.app, port);
    bigCsv = writeRoster(1_500_000);
    director = await setUpOffice(t.deps);
    // setUpOffice gives no notice address; the director's is entered directly here (office notices go to it).
    await t.deps.db.updateTable('users').set({ email: DIRECTOR_EMAIL }).where('id', '=', director.directorId).execute();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
    await sink?.close();
    if (bigCsv) fs.rmSync(path.dirname(bigCsv), { recursive: true, force: true });
  });

  it('the director signs in with a TOTP code, steps up, creates a client company and reads its credential sheet', async () => {
    directorPage = await newPage();
    const page = directorPage;
    await page.goto(`${origin}/office/login`);
    await page.fill('#loginId', DIRECTOR.loginId);
    await page.fill('#password', DIRECTOR.password);
    clock.nextTotpStep(); // setup claimed the current step
    await page.fill('#totp', await totpAt(director.totpSecret, clock.now()));
    await Promise.all([page.waitForURL(`${origin}/office`), page.click('form.login-form button[type=submit]')]);

    await page.goto(`${origin}/office/step-up?next=${encodeURIComponent('/office/companies/new')}`);
    clock.nextTotpStep();
    await page.fill('#code', await totpAt(director.totpSecret, clock.now()));
    await Promise.all([page.waitForURL(`${origin}/office/companies/new`), page.click('form[action^="/office/step-up"] button[type=submit]')]);

    await page.fill('#name', COMPANY);
    await page.fill('#contactEmail', 'tantou@sakura-seiki.example.jp');
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/office/companies"] button[type=submit]')]);
    await page.waitForSelector('.credential-sheet');
    sheet.roomUrl = (await page.textContent('.sheet-url'))!.trim();
    sheet.loginId = (await page.textContent('.sheet-login-id'))!.trim();
    sheet.password = (await page.textContent('.sheet-password'))!.trim();
    expect(sheet.roomUrl).toMatch(new RegExp(`^${origin}/room/[A-Za-z0-9_-]{32}$`));
    expect(sheet.loginId).not.toBe('');
    expect(sheet.password.length).toBeGreaterThanOrEqual(limits.password.minLength);
  }, 60_000);

  it('the client opens the room URL, signs in with the initial password, sets a password, enrols TOTP and sees the drop panel in Japanese', async () => {
    clientPage = await newPage();
    const page = clientPage;
    await page.goto(sheet.roomUrl);
    await page.fill('#loginId', sheet.loginId);
    await page.fill('#password', sheet.password);
    await Promise.all([page.waitForURL(`${sheet.roomUrl}/welcome`), page.click('form.login-form button[type=submit]')]);

    clientPassword = 'haru-no-ogawa-wa-sarasara-iku';
    await page.fill('#newPassword', clientPassword);
    await page.fill('#newPassword2', clientPassword);
    clientTotpSecret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    expect(clientTotpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.fill('#code', await totpAt(clientTotpSecret, clock.now()));
    await Promise.all([page.waitForURL(sheet.roomUrl), page.click('form.enrol-form button[type=submit]')]);

    // The panel, enhanced by the script: limits and types up front, a drop area and a picker.
    await page.waitForSelector('#drop-panel.enhanced');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.textContent('#drop-title')).toBe('事務所にファイルを送る');
    const rules = (await page.textContent('.drop-rules'))!;
    expect(rules).toContain('Excel（.xlsx / .xls）');
    expect(rules).toContain('CSV（.csv）');
    expect(rules).toContain('PDF（.pdf）');
    expect(rules).toContain(`1ファイル ${formatMiB(limits.upload.maxFileBytes)} まで`);
    expect(rules).toContain(`一度に ${limits.upload.maxFilesPerRequest} ファイルまで`);
    expect(await page.isVisible('.drop-zone-hint')).toBe(true);
    expect(await page.textContent('.drop-zone-hint')).toContain('ドラッグ＆ドロップ');
    expect(await page.isVisible('.drop-choose')).toBe(true);
    expect(await page.getAttribute('#drop-files', 'multiple')).not.toBeNull();
    expect(await page.isVisible('.drop-form button[type=submit]')).toBe(false); // starts on choosing
    await page.waitForSelector('#drop-history p');
    expect(await page.textContent('#drop-history')).toContain('まだファイルを送っていません');
  }, 60_000);

  it('drops the sample workbook (and a larger roster) through the picker on a throttled line: the progress bars move and reach 100%, the receipt shows, GnuPG decrypts the stored object to the exact bytes', async () => {
    const page = clientPage;
    const original = fs.readFileSync(XLSX);
    const big = fs.readFileSync(bigCsv);
    const before = (await dropRows()).length;
    // Chromium's upload throttling (DevTools protocol) paces the reads of the
    // request body chunk by chunk, and progress events follow those reads: the
    // 7 KB workbook is one chunk, so its bar jumps from 0 to 100% whatever the
    // speed. The ~1.5 MB roster sent with it is many chunks, and its bar is
    // seen taking values in between.
    const unthrottle = await throttle(page, 256 * 1024);
    await page.evaluate(() => {
      const w = window as unknown as { __samples: Record<string, number[]> };
      w.__samples = {};
      const queue = document.getElementById('drop-queue')!;
      new MutationObserver((records) => {
        for (const r of records) {
          const p = r.target as HTMLProgressElement;
          const name = p.getAttribute('aria-label') ?? '';
          if (p.hasAttribute('value')) (w.__samples[name] ??= []).push(p.value);
        }
      }).observe(queue, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });
    const started = Date.now();
    await page.setInputFiles('#drop-files', [XLSX, bigCsv]);
    const bigItem = page.locator('.drop-item', { hasText: path.basename(bigCsv) });
    await bigItem.and(page.locator('[data-state=uploading]')).waitFor({ timeout: 20_000 });
    // Sampled from outside too, while it runs.
    const outside: number[] = [];
    let midShot = false;
    while ((await bigItem.getAttribute('data-state')) === 'uploading') {
      const value = await bigItem.locator('progress').evaluate((p) => (p as HTMLProgressElement).value);
      outside.push(value);
      if (!midShot && value >= 30 && value <= 70) {
        midShot = true;
        await page.screenshot({ path: SCREENSHOT_PROGRESS, fullPage: true });
      }
      await page.waitForTimeout(100);
    }
    await page.waitForSelector('.drop-item[data-state=done] >> nth=1', { timeout: 60_000 });
    const took = Date.now() - started;
    await unthrottle();

    const samples = await page.evaluate(() => (window as unknown as { __samples: Record<string, number[]> }).__samples);
    const bigSamples = samples[path.basename(bigCsv)]!;
    const xlsxSamples = samples['sample_title_rows.xlsx']!;
    const intermediate = [...new Set([...bigSamples, ...outside].filter((v) => v > 0 && v < 100))];
    expect(intermediate.length).toBeGreaterThanOrEqual(3);
    expect(bigSamples.at(-1)).toBe(100);
    expect(xlsxSamples.at(-1)).toBe(100);
    for (const value of await page.locator('.drop-item progress').evaluateAll((ps) => ps.map((p) => (p as HTMLProgressElement).value))) expect(value).toBe(100);
    expect(took).toBeGreaterThan((big.length / (256 * 1024)) * 1000 * 0.8); // the throttle really applied
    expect(await page.locator('.drop-item').count()).toBe(2);

    // The receipt, at once, in the list item.
    const item = page.locator('.drop-item', { hasText: 'sample_title_rows.xlsx' });
    expect(await item.locator('.drop-status').textContent()).toContain('受け付けました');
    const dropId = (await item.locator('.drop-receipt .drop-id').textContent())!.trim();
    const shown = (await item.locator('.drop-receipt .drop-sha256').textContent())!.trim();
    expect(dropId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(shown).toMatch(/^[0-9a-f]{64}$/);
    const receiptText = (await item.locator('.drop-receipt').textContent())!;
    for (const label of ['受付番号', 'ファイル名', '大きさ', 'SHA-256', '受付日時']) expect(receiptText).toContain(label);
    expect(receiptText).toContain('sample_title_rows.xlsx');
    expect(receiptText).toContain('受付済');

    // The history below has it too.
    await page.waitForSelector(`#drop-history table code:text("${dropId}")`);

    // What was stored: one new row, client-encrypted, an OpenPGP message whose SHA-256 is the receipt's.
    const rows = await dropRows();
    expect(rows).toHaveLength(before + 2);
    const row = rows.find((r) => r.id === dropId)!;
    expect(row).toMatchObject({ file_name: 'sample_title_rows.xlsx', kind: 'client-encrypted', state: 'received', sha256: shown });
    const cipher = await storedBytes(row.stored_key);
    expect(sha256(cipher)).toBe(shown);
    expect(cipher[0]! & 0x80).toBe(0x80); // an OpenPGP packet, not a zip
    expect(cipher.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
    expect(cipher.includes(original.subarray(0, 64))).toBe(false);
    const plain = gpgDecrypt(await officeSecretKey(), cipher);
    expect(sha256(plain)).toBe(sha256(original));
    expect(plain.equals(original)).toBe(true);
    const bigRow = rows.find((r) => r.file_name === path.basename(bigCsv))!;
    expect(bigRow.kind).toBe('client-encrypted');
    expect(sha256(gpgDecrypt(await officeSecretKey(), await storedBytes(bigRow.stored_key)))).toBe(sha256(big));

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    await page.screenshot({ path: SCREENSHOT_NARROW, fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });
  }, 90_000);

  it('the office’s drops list shows the room’s new arrivals, and after the batching window exactly one e-mail goes out, naming the room but no file name or size', async () => {
    const page = directorPage;
    await page.goto(`${origin}/office/inbox`); // the old address: lands on the drops list
    expect(page.url()).toBe(`${origin}/office/drops`);
    const row = page.locator('tr.inbox-row', { hasText: COMPANY });
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('2 件');

    expect(sink.messages).toHaveLength(0); // batched: nothing before the window has passed
    clock.advance((t.deps.config.notifyBatchSeconds + 1) * 1000);
    const flushed = await flushDueNotices(t.deps);
    expect(flushed).toEqual({ sent: 1, failed: 0 });
    await sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.messages).toHaveLength(1);
    const mail = sink.messages[0]!;
    const all = `${mail.subject}\n${mail.text}\n${mail.raw}`;
    expect(mail.text).toContain(COMPANY);
    expect(mail.rcptTo).toEqual([DIRECTOR_EMAIL]);
    const drops = await dropRows();
    expect(drops).toHaveLength(2);
    const leaks = ['sample_title_rows', '.xlsx', '.csv', '従業員名簿'];
    for (const d of drops) leaks.push(d.id, d.sha256, String(d.size), d.size.toLocaleString('en-US'));
    for (const f of [XLSX, bigCsv]) leaks.push(String(fs.statSync(f).size), fs.statSync(f).size.toLocaleString('en-US'));
    for (const leak of leaks) expect(all).not.toContain(leak);
    expect(all).not.toMatch(/\d+(\.\d+)?\s?(KB|MB|バイト|bytes)/);
  }, 60_000);

  it('a program renamed to .xlsx, and a file of a type not accepted, are refused in the browser with a plain Japanese message; nothing is sent', async () => {
    const page = clientPage;
    const rowsBefore = (await dropRows()).length;
    const posts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST') posts.push(r.url());
    };
    page.on('request', onRequest);
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'), Buffer.alloc(2048, 0x41)]);
    await page.setInputFiles('#drop-files', [
      { name: '給与一覧.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: exe },
      { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: exe },
    ]);
    await page.waitForSelector('.drop-item[data-state=refused] >> nth=1');
    const refused = page.locator('.drop-item[data-state=refused]');
    const renamed = (await refused.nth(0).textContent())!;
    expect(renamed).toContain('「給与一覧.xlsx」は中身がファイル名の拡張子（.xlsx）と合いません');
    expect(renamed).toContain('このファイルは送っていません');
    expect(await refused.nth(0).locator('.drop-status').getAttribute('role')).toBe('alert');
    expect(await refused.nth(1).textContent()).toContain('「setup.exe」は送れない種類のファイルです');
    expect(await refused.nth(0).locator('.drop-retry').isVisible()).toBe(false);
    await page.waitForTimeout(500);
    page.off('request', onRequest);
    expect(posts).toEqual([]);
    expect((await dropRows()).length).toBe(rowsBefore);
    await page.screenshot({ path: SCREENSHOT_REFUSED, fullPage: true });
    // "一覧から外す" removes a refused file from the list.
    await refused.nth(1).locator('.drop-remove').click();
    expect(await page.locator('.drop-item[data-state=refused]').count()).toBe(1);
  }, 60_000);

  it('when the connection drops mid-upload, the file stays in the list with a Japanese message and is sent by "もう一度送る"', async () => {
    const page = clientPage;
    const rowsBefore = (await dropRows()).length;
    let cut = 0;
    cuttingConnection = true;
    await page.route('**/drops', async (route) => {
      if (route.request().method() === 'POST' && cut === 0) {
        cut += 1;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await page.setInputFiles('#drop-files', CSV);
    const item = page.locator('.drop-item', { hasText: 'sample_roster.csv' });
    await item.and(page.locator('[data-state=failed]')).waitFor();
    expect(await item.locator('.drop-status').textContent()).toContain('通信が途中で切れました');
    expect(await item.locator('.drop-status').textContent()).toContain('ファイルはこの一覧に残っています');
    expect((await dropRows()).length).toBe(rowsBefore);
    await item.locator('.drop-retry').click();
    await item.and(page.locator('[data-state=done]')).waitFor();
    await page.unroute('**/drops');
    cuttingConnection = false;
    expect(cut).toBe(1);
    const id = (await item.locator('.drop-id').textContent())!.trim();
    const row = (await dropRows()).find((r) => r.id === id)!;
    expect(row.kind).toBe('client-encrypted');
    expect(gpgDecrypt(await officeSecretKey(), await storedBytes(row.stored_key)).equals(fs.readFileSync(CSV))).toBe(true);
  }, 60_000);

  it('without JavaScript the whole room works: sign in with a TOTP code, send two files with the plain form, get the receipt page; the server encrypted them', async () => {
    const page = await newPage({ javaScriptEnabled: false });
    await page.goto(sheet.roomUrl);
    await page.fill('#loginId', sheet.loginId);
    await page.fill('#password', clientPassword);
    clock.nextTotpStep(); // enrolment claimed the current step
    await page.fill('#totp', await totpAt(clientTotpSecret, clock.now()));
    await Promise.all([page.waitForURL(sheet.roomUrl), page.click('form.login-form button[type=submit]')]);

    expect(await page.$('#drop-panel.enhanced')).toBeNull();
    await page.waitForSelector('.drop-form button[type=submit]', { state: 'visible', timeout: 5000 });
    expect(await page.isVisible('.drop-zone-hint')).toBe(false);
    expect(await page.textContent('.drop-rules')).toContain(`1ファイル ${formatMiB(limits.upload.maxFileBytes)} まで`);
    expect(await page.textContent('#drop-panel')).toContain('事務所のサーバーが受け取りながら暗号化します');
    const action = (await page.getAttribute('form.drop-form', 'action'))!;
    expect(action).toMatch(/^\/room\/[A-Za-z0-9_-]{32}\/drops\?_csrf=/);
    expect(await page.getAttribute('form.drop-form', 'enctype')).toBe('multipart/form-data');
    await page.screenshot({ path: SCREENSHOT_NOJS, fullPage: true });

    const before = (await dropRows()).length;
    await page.setInputFiles('#drop-files', [PDF, XLSX]);
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('.drop-form button[type=submit]')]);
    expect(response.status()).toBe(201);
    await page.waitForSelector('h1:text("受領証")');
    const receipts = page.locator('section.receipt');
    expect(await receipts.count()).toBe(2);
    const text = (await page.textContent('main'))!;
    expect(text).toContain('sample_list.pdf');
    expect(text).toContain('sample_title_rows.xlsx');
    expect(text).toContain('受け取りながらサーバーで暗号化');

    const fresh = (await dropRows()).slice(before);
    expect(fresh).toHaveLength(2);
    const key = await officeSecretKey();
    for (const row of fresh) {
      expect(row.kind).toBe('server-encrypted');
      expect(text).toContain(row.id);
      expect(text).toContain(row.sha256);
      const cipher = await storedBytes(row.stored_key);
      expect(sha256(cipher)).toBe(row.sha256);
      const original = fs.readFileSync(row.file_name === 'sample_list.pdf' ? PDF : XLSX);
      expect(gpgDecrypt(key, cipher).equals(original)).toBe(true);
    }
  }, 60_000);

  it('no page logged a script error or a CSP violation, and nothing readable of the sample files is in the data folder', async () => {
    expect(pageProblems).toEqual([]);
    const needles = [fs.readFileSync(XLSX).subarray(0, 64), Buffer.from('山口 翔太'), Buffer.from('196654287076'), fs.readFileSync(PDF).subarray(0, 64)];
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
    for (const file of walk(t.dataDir)) {
      const bytes = fs.readFileSync(file);
      for (const n of needles) expect({ file, found: bytes.includes(n) }).toEqual({ file, found: false });
    }
  });
});
