import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { createSession } from '../../server/auth/sessions.js';
import { disposeDueBundles } from '../../server/bundles/delivery/service.js';
import { checkDigitOf } from '../../server/bundles/route/municipality-code.js';
import { clientInRoom, type RoomClient } from '../drops/helpers.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { freePort } from '../helpers/servers.js';
import { makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';
import { describeWithChromium, launchChromium, listenOn, MovableClock } from './browser.js';

/**
 * The year-end bundles end to end in real Chromium (issue 15, "Done when"): a
 * company of 120 employees with spouses and dependents held in the vault; the
 * client uploads its pay data in the room (encrypted in the browser) and
 * marks it 年末調整データ; the director (over 100 people) opens it and builds;
 * the client downloads every bundle in Chromium, GnuPG decrypts and verifies
 * each, and the 税務署 and 市区町村 CSVs hold exactly the vault's numbers in
 * the right columns for exactly the right people, grouped by municipality;
 * one bundle is opened in the browser with the passphrase; every download is
 * in the audit trail; after 30 days nothing numbered remains.
 */
const N = 120;
const zen = (n: number) => String(n).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const CODES = ['13101', '13102', '13103', '13104', '13201'].map((c) => c + checkDigitOf(c));
const nums = syntheticMyNumbers(N * 2 + 20, 8484);
interface Truth {
  code: string;
  name: string;
  number: string;
  pay: number;
  city: string;
  spouse?: { name: string; number: string };
  dependent?: { name: string; number: string };
}
const PEOPLE: Truth[] = Array.from({ length: N }, (_, i) => ({
  code: String(3001 + i), name: `社員　${zen(i + 1)}`, number: nums[i]!, pay: i % 5 === 0 ? 6_000_000 + i : 3_000_000 + i, city: CODES[i % CODES.length]!,
  ...(i % 2 === 0 ? { spouse: { name: `配偶　${zen(i + 1)}`, number: nums[N + i / 2]! } } : {}),
  ...(i % 10 === 1 ? { dependent: { name: `扶養　${zen(i + 1)}`, number: nums[2 * N + (i - 1) / 10]! } } : {}),
}));
const payCsv = () => {
  const head = '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ,扶養親族1 氏名,扶養親族1 フリガナ';
  const rows = PEOPLE.map((p) => [p.code, p.name, 'ｼｬｲﾝ', '東京都千代田区丸の内１－１－１', p.pay, Math.round(p.pay / 30), p.city, 'いいえ', 'いいえ', 'はい', p.spouse?.name ?? '', p.spouse ? 'ﾊｲｸﾞｳ' : '', p.dependent?.name ?? '', p.dependent ? 'ﾌﾖｳ' : ''].join(','));
  return Buffer.from([head, ...rows].join('\r\n') + '\r\n', 'utf8');
};

describeWithChromium()('year-end bundles in the browser (e2e)', () => {
  let t: TestApp;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let clock: MovableClock;
  let office: VaultOffice;
  let c: RoomClient;
  let passphrase = '';
  let dropId = '';
  const contexts: BrowserContext[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-bundles-'));
  const home = path.join(dir, 'gnupg');
  // Kept after the run, to be looked at (they show names and hashes, never a number).
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-bundles-shots-'));

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    clock = new MovableClock();
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin }, { clock });
    office = await makeVaultOffice(t.deps);
    c = await clientInRoom(t, '年末商事株式会社');
    await putInVault(t.deps, {
      companyId: c.company.id,
      employees: PEOPLE.map((p) => ({
        number: p.number, name: p.name.replace('　', ' '), employeeCode: p.code,
        dependents: [...(p.spouse ? [{ number: p.spouse.number, name: p.spouse.name, relation: '配偶者' }] : []), ...(p.dependent ? [{ number: p.dependent.number, name: p.dependent.name, relation: '扶養親族1' }] : [])],
      })),
    });
    fs.mkdirSync(home, { mode: 0o700 });
    const pub = await t.deps.db.selectFrom('office_keys').select('public_key').executeTakeFirstOrThrow();
    expect(gpg(['--import'], Buffer.from(pub.public_key)).status).toBe(0);
    server = await listenOn(t.app, port);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function gpg(args: string[], input?: Buffer) {
    return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--status-fd', '2', ...args], { input, env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000, maxBuffer: 512 * 1024 * 1024 });
  }
  async function pageAs(userId: string, opts: { stepUp?: boolean; width?: number } = {}): Promise<Page> {
    const sid = await createSession(t.deps.db, userId, 'full', clock.now(), { ip: '127.0.0.1' }, opts.stepUp ?? false);
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: opts.width ?? 1280, height: 900 }, acceptDownloads: true });
    contexts.push(ctx);
    await ctx.addCookies([{ name: 'kinko_sid', value: sid, url: origin }]);
    return ctx.newPage();
  }
  const saved = async (d: Download) => fs.readFileSync((await d.path())!);
  const csvRows = (zip: Uint8Array) => {
    const files = unzipSync(zip);
    const csv = Object.entries(files).find(([n]) => n.endsWith('.csv'))!;
    return iconv.decode(Buffer.from(csv[1]), 'shift_jis').split('\r\n').filter(Boolean).map((l) => l.split(','));
  };

  it('the client uploads its pay data in the room, encrypted in the browser, and marks it 年末調整データ', async () => {
    const page = await pageAs(c.user.id);
    await page.goto(`${origin}${c.base}`);
    await page.waitForSelector('#drop-panel.enhanced');
    const file = path.join(dir, '年末調整_令和7年分.csv');
    fs.writeFileSync(file, payCsv());
    await page.setInputFiles('#drop-files', [file]);
    await page.waitForSelector('.drop-item[data-state=done]', { timeout: 60_000 });
    const drop = await t.deps.db.selectFrom('drops').select(['id']).where('company_id', '=', c.company.id).executeTakeFirstOrThrow();
    dropId = drop.id;
    await page.goto(`${origin}${c.base}/drops/${dropId}/year-end`);
    await page.selectOption('select[name=nenbun]', '7');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/year-end"] button[type=submit]')]);
    expect(await t.deps.db.selectFrom('year_end_drops').select('nenbun').where('drop_id', '=', dropId).executeTakeFirstOrThrow()).toEqual({ nenbun: 7 });
  }, 90_000);

  it('a staff key holder is told the build is the director’s; the director opens, builds and gets the passphrase once', async () => {
    const staff = await pageAs(office.keyHolder.id, { stepUp: true });
    await staff.goto(`${origin}/office/year-end/${dropId}`);
    await staff.fill('#passphrase', PASSPHRASES.keyHolder);
    await Promise.all([staff.waitForNavigation(), staff.click(`form[action$="/open"] button[type=submit]`)]);
    expect(await staff.innerText('#build')).toContain('所長が行います');
    expect(await staff.innerText('main')).not.toMatch(STANDALONE_TWELVE_DIGITS);

    const director = await pageAs(office.director.id, { stepUp: true });
    await director.goto(`${origin}/office/year-end/${dropId}`);
    expect(await director.innerText('#build')).toContain(`${N + PEOPLE.filter((p) => p.spouse).length + PEOPLE.filter((p) => p.dependent).length}人分の個人番号`);
    await director.screenshot({ path: path.join(shots, 'year-end-1280.png'), fullPage: true });
    await director.fill('#build-passphrase', PASSPHRASES.director);
    await Promise.all([director.waitForNavigation(), director.click('#build button[type=submit]')]);
    passphrase = (await director.innerText('[data-passphrase]')).trim();
    expect(passphrase).toMatch(/^([A-Za-z0-9]{5}-){5}[A-Za-z0-9]{5}$/);
    await director.screenshot({ path: path.join(shots, 'built-1280.png'), fullPage: true });
    await director.reload().catch(() => undefined);
    expect(await director.content()).not.toContain(passphrase);
  }, 90_000);

  it('the client downloads every bundle in Chromium; GnuPG opens and verifies each; the CSVs hold exactly the vault’s numbers for exactly the right people, per municipality', async () => {
    const page = await pageAs(c.user.id);
    await page.goto(`${origin}${c.base}/bundles`);
    const cards = page.locator('article.bundle[data-state=sealed]');
    const count = await cards.count();
    expect(count).toBe(1 + CODES.length + 1); // 税務署, each 市区町村, and the employees' own copies
    const byNumber = new Map(PEOPLE.map((p) => [p.number, p]));
    const seen = new Map<string, string>();
    let taxRows = 0;
    for (let i = 0; i < count; i++) {
      const [d] = await Promise.all([page.waitForEvent('download'), cards.nth(i).locator('form[action$="/download"] button').click()]);
      const bytes = await saved(d);
      expect(d.suggestedFilename()).toMatch(/^kinko_R07_(zeimusho|honnin|\d{5})\.zip\.gpg$/);
      const out = gpg(['--pinentry-mode', 'loopback', '--passphrase', passphrase, '--decrypt'], bytes);
      expect(out.status).toBe(0);
      expect(out.stderr.toString()).toMatch(/\[GNUPG:\] VALIDSIG [0-9A-F]{40}/);
      const tag = /_(zeimusho|honnin|\d{5})\.zip/.exec(d.suggestedFilename())![1]!;
      if (tag === 'honnin') {
        // One PDF per employee and one combined; pdftotext finds no number of anyone, no 12-digit run.
        const files = unzipSync(new Uint8Array(out.stdout));
        const pdfs = Object.keys(files).filter((n) => n.endsWith('.pdf'));
        expect(pdfs).toHaveLength(N + 1);
        const all = [...byNumber.keys(), ...PEOPLE.flatMap((p) => [p.spouse?.number, p.dependent?.number].filter((x): x is string => !!x))];
        for (const name of [pdfs.find((n) => n.endsWith('_all.pdf'))!, ...pdfs.slice(0, 5)]) {
          fs.writeFileSync(path.join(dir, 'p.pdf'), files[name]!);
          const text = spawnSync('pdftotext', ['-layout', '-enc', 'UTF-8', path.join(dir, 'p.pdf'), '-'], { encoding: 'utf8' }).stdout;
          expect(text).toContain('受給者交付用');
          expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
          expect(text.replace(/\s+/g, '')).not.toMatch(/\d{12}/);
          for (const n of all) expect(text.replace(/\s+/g, '')).not.toContain(n);
        }
        continue;
      }
      const rows = csvRows(new Uint8Array(out.stdout));
      for (const cells of rows) {
        const p = byNumber.get(cells[94]!);
        expect(p).toBeDefined();
        expect(cells[13]).toBe(p!.name);
        expect(cells[98] ?? '').toBe(p!.spouse?.number ?? '');
        if (p!.dependent) expect(cells.slice(99, 131).join(',')).toContain(p!.dependent.number);
        if (tag === 'zeimusho') {
          taxRows++;
          expect(p!.pay).toBeGreaterThan(5_000_000);
        } else {
          expect(p!.city.slice(0, 5)).toBe(tag); // grouped by the 5-digit 団体コード
          expect(seen.has(p!.number)).toBe(false);
          seen.set(p!.number, tag);
        }
      }
    }
    expect(seen.size).toBe(N); // every employee in exactly one 市区町村 file
    expect(taxRows).toBe(PEOPLE.filter((p) => p.pay > 5_000_000).length);
    const downloads = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'bundles.download').execute();
    expect(downloads).toHaveLength(count);
    expect(downloads.every((a) => a.actor_id === c.user.id)).toBe(true);
    await page.screenshot({ path: path.join(shots, 'room-bundles-1280.png'), fullPage: true });
    const narrow = await pageAs(c.user.id, { width: 390 });
    await narrow.goto(`${origin}${c.base}/bundles`);
    await narrow.screenshot({ path: path.join(shots, 'room-bundles-390.png'), fullPage: true });
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }, 120_000);

  it('the client opens one bundle right in the browser with the passphrase and saves its CSV; a wrong passphrase is told plainly', async () => {
    const page = await pageAs(c.user.id);
    await page.goto(`${origin}${c.base}/bundles`);
    await Promise.all([page.waitForNavigation(), page.locator('article.bundle[data-state=sealed]', { hasText: '市区町村' }).first().locator('a.button').click()]);
    await page.fill('#bundle-passphrase', 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF');
    await page.click('#open-form button[type=submit]');
    await page.waitForSelector('#open-status.message');
    expect(await page.innerText('#open-status')).toContain('合言葉が違います');
    await page.fill('#bundle-passphrase', passphrase);
    await page.click('#open-form button[type=submit]');
    await page.waitForSelector('#open-files a');
    const link = page.locator('#open-files a', { hasText: '.csv' });
    const [d] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const csv = iconv.decode(await saved(d), 'shift_jis');
    expect(csv.split('\r\n').filter(Boolean).length).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(shots, 'bundle-open-1280.png'), fullPage: true });
    const opened = await t.deps.db.selectFrom('bundle_downloads').select('via').where('via', '=', 'browser-open').execute();
    expect(opened).toHaveLength(1); // fetched once: the wrong passphrase did not fetch it again
  }, 90_000);

  it('after 30 days nothing numbered remains, and the room says so', async () => {
    clock.advance(31 * 24 * 60 * 60_000);
    const r = await disposeDueBundles(t.deps);
    expect(r.failed).toBe(0);
    const numbered = await t.deps.db.selectFrom('bundles').select(['stored_key', 'state']).where('numbered', '=', 1).execute();
    expect(numbered).toHaveLength(1 + CODES.length);
    expect(numbered.every((b) => b.state === 'disposed')).toBe(true);
    const left: string[] = [];
    for await (const o of t.deps.storage.bundles.list()) left.push(o.key);
    for (const b of numbered) expect(left).not.toContain(b.stored_key);
    const page = await pageAs(c.user.id);
    await page.goto(`${origin}${c.base}/bundles`);
    expect(await page.locator('article.bundle[data-state=disposed]').count()).toBe(numbered.length);
  }, 60_000);
});
