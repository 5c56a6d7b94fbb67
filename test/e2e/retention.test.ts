import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSession } from '../../server/auth/sessions.js';
import { runRetentionCheck } from '../../server/retention/alarms.js';
import { setCompanyServices } from '../../server/retention/service.js';
import { revealNumber, type PersonRow } from '../../server/vault/index.js';
import { clientInRoom, type RoomClient } from '../drops/helpers.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { outboxMails } from '../helpers/outbox.js';
import { freePort } from '../helpers/servers.js';
import { makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';
import { describeWithChromium, launchChromium, listenOn, MovableClock } from './browser.js';

/**
 * Letting numbers go, end to end in real Chromium (issue 14, "Done when"):
 * the client reports three leavers in its room; the director sees their
 * disposal dates with the basis; a key holder moves them into the keys of
 * their disposal months; the clock passes the dates and the daily check
 * mails the director counts without names and 廃棄予定 shows them due; the
 * director approves, a second key holder confirms; the client downloads the
 * certificate, whose PDF names the three and verifies with `gpg --verify`;
 * nothing that could decrypt them is left, and the others still reveal.
 */
const numbers = syntheticMyNumbers(5, 6262);
const PEOPLE = [
  ['E1', '赤井 一郎'],
  ['E2', '石田 二郎'],
  ['E3', '宇野 三郎'],
  ['E4', '江口 四郎'],
  ['E5', '小川 五郎'],
] as const;
const LEAVERS = ['E1', 'E2', 'E3'] as const;

describeWithChromium()('retention and disposal in the browser (e2e)', () => {
  let t: TestApp;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let clock: MovableClock;
  let office: VaultOffice;
  let c: RoomClient;
  let companyId: string;
  const rows: Record<string, PersonRow> = {};
  const contexts: BrowserContext[] = [];
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-retention-'));

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    clock = new MovableClock();
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin }, { clock });
    office = await makeVaultOffice(t.deps);
    c = await clientInRoom(t, '退職商事株式会社');
    companyId = c.company.id;
    await setCompanyServices(t.deps, { userId: office.director.id, role: 'director', requestId: null }, { companyId, serviceIds: ['shakai-hoken'] });
    const put = await putInVault(t.deps, { companyId, cohort: '2026', employees: PEOPLE.map(([code, name], i) => ({ name, number: numbers[i]!, employeeCode: code })) });
    PEOPLE.forEach(([code], i) => (rows[code] = put[i]!));
    server = await listenOn(t.app, port);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  async function pageWith(cookies: string, width = 1280): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width, height: 900 } });
    contexts.push(ctx);
    await ctx.addCookies(cookies.split('; ').map((kv) => {
      const i = kv.indexOf('=');
      return { name: kv.slice(0, i), value: kv.slice(i + 1), url: origin };
    }));
    return ctx.newPage();
  }
  /** A signed-in browser for this user (office staff, or a client for its room), the session made now on the app's clock. */
  async function officePage(userId: string, opts: { stepUp?: boolean; width?: number } = {}): Promise<Page> {
    const sid = await createSession(t.deps.db, userId, 'full', clock.now(), { ip: '127.0.0.1' }, opts.stepUp ?? false);
    return pageWith(`kinko_sid=${sid}`, opts.width);
  }
  const person = (code: string) => t.deps.db.selectFrom('persons').selectAll().where('id', '=', rows[code]!.id).executeTakeFirstOrThrow();
  const reveal = async (code: string) =>
    (await revealNumber(t.deps, { personId: rows[code]!.id, actor: { userId: office.keyHolder.id, role: 'staff' }, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' })).number;

  it('the client reports three leavers in its room, picking them by name and employee code — never seeing a number', async () => {
    const page = await pageWith(c.cookies);
    await page.goto(`${origin}${c.base}/leavers`);
    const text = await page.innerText('main');
    for (const [code, name] of PEOPLE) {
      expect(text).toContain(name);
      expect(text).toContain(code);
    }
    expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    await page.fill(`#on-${rows.E1!.id}`, '2026-03-31');
    await page.fill(`#on-${rows.E2!.id}`, '2026-03-31');
    await page.fill(`#on-${rows.E3!.id}`, '2026-06-30');
    await page.screenshot({ path: path.join(shots, 'room-leavers-1280.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
    expect(await page.innerText('main')).toContain('3');
    for (const code of LEAVERS) expect((await t.deps.db.selectFrom('person_retention').select('left_on').where('person_id', '=', rows[code]!.id).executeTakeFirstOrThrow()).left_on).not.toBeNull();
    const narrow = await pageWith(c.cookies, 390);
    await narrow.goto(`${origin}${c.base}/leavers`);
    await narrow.screenshot({ path: path.join(shots, 'room-leavers-390.png'), fullPage: true });
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }, 60_000);

  it('the director sees each leaver’s disposal date with its basis, and those still working have none', async () => {
    const page = await officePage(office.director.id);
    await page.goto(`${origin}/office/companies/${companyId}/retention`);
    const text = await page.innerText('main');
    expect(text).toContain('退職日 2026-03-31');
    expect(text).toContain('以降に廃棄');
    expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    await page.screenshot({ path: path.join(shots, 'company-retention-1280.png'), fullPage: true });
  }, 60_000);

  it('a key holder moves the three into the keys of their disposal months from 廃棄予定', async () => {
    const page = await officePage(office.keyHolder.id);
    await page.goto(`${origin}/office/retention`);
    expect(await page.innerText('main')).toContain('3 人の個人番号が、廃棄月ごとの暗号鍵への付け替えを待っています。');
    await page.fill('#reseal-passphrase', PASSPHRASES.keyHolder);
    await Promise.all([page.waitForNavigation(), page.click('section.reseal button[type=submit]')]);
    expect(await page.innerText('main')).toContain('3 人の個人番号を、廃棄月ごとの鍵に付け替えました。');
    await page.screenshot({ path: path.join(shots, 'retention-1280.png'), fullPage: true });
    // the table of months scrolls inside the page: the page itself is never wider than the window
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    const narrow = await officePage(office.keyHolder.id, { width: 390 });
    await narrow.goto(`${origin}/office/retention`);
    await narrow.screenshot({ path: path.join(shots, 'retention-390.png'), fullPage: true });
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const code of LEAVERS) expect((await person(code)).cohort).toMatch(/^end-\d{4}-\d{2}$/);
    expect((await person('E4')).cohort).toBe('2026');
  }, 60_000);

  it('when the clock passes their dates, the daily check mails the director counts without names, and 廃棄予定 shows them due', async () => {
    // 健保・厚年 2 years after the 2026-06-30 departure, plus a day
    clock.advance(Date.parse('2028-07-02T03:00:00Z') - clock.now().getTime());
    const before = outboxMails(t.dataDir).length;
    expect(await runRetentionCheck(t.deps, 30)).toMatchObject({ kind: 'raised', mail: 'sent' });
    const mails = outboxMails(t.dataDir).slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('退職商事株式会社');
    for (const [, name] of PEOPLE) expect(mails[0]!.raw + mails[0]!.text).not.toContain(name);
    expect(mails[0]!.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    const page = await officePage(office.director.id);
    await page.goto(`${origin}/office/retention`);
    const due = await page.locator('table.retention-schedule tbody tr', { hasText: '退職商事株式会社' }).locator('td.due').innerText();
    expect(due.trim()).toBe('3');
  }, 60_000);

  it('the director approves, a second key holder confirms, and the client downloads a certificate naming the three that GnuPG verifies; nothing that could decrypt them is left, and the others still reveal', async () => {
    const tokens = await Promise.all(LEAVERS.map(async (code) => (await person(code)).token));
    const keys = [...new Set(await Promise.all(LEAVERS.map(async (code) => (await person(code)).data_key_id)))];
    const director = await officePage(office.director.id, { stepUp: true });
    await director.goto(`${origin}/office/companies/${companyId}/disposal`);
    const list = await director.innerText('form.card fieldset');
    for (const code of LEAVERS) expect(list).toContain(PEOPLE.find(([k]) => k === code)![1]);
    await director.selectOption('#reason', 'retention-ended');
    await director.fill('#passphrase', PASSPHRASES.director);
    await Promise.all([director.waitForNavigation(), director.click('form.card button[type=submit]')]);
    const batchUrl = director.url();
    expect(batchUrl).toMatch(/\/office\/disposal-batches\//);

    const second = await officePage(office.keyHolder.id, { stepUp: true });
    await second.goto(batchUrl);
    await second.fill('#passphrase', PASSPHRASES.keyHolder);
    await Promise.all([second.waitForNavigation(), second.click('form.card button[type=submit]')]);
    expect(await second.innerText('main')).toContain('PDF');

    // the client's copy, from the room (signed in again: the morning's session ended long ago on this clock)
    const room = await officePage(c.user.id);
    await room.goto(`${origin}${c.base}/certificates`);
    const pdfHref = await room.getAttribute('a[href$="/certificate.pdf"]', 'href');
    const pdf = Buffer.from(await (await room.request.get(`${origin}${pdfHref}`)).body());
    const sig = Buffer.from(await (await room.request.get(`${origin}${pdfHref}.asc`)).body());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-e2e-cert-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.pdf'), pdf);
      fs.writeFileSync(path.join(dir, 'c.pdf.asc'), sig);
      const text = spawnSync('pdftotext', ['-layout', path.join(dir, 'c.pdf'), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '');
      for (const code of LEAVERS) expect(text).toContain(PEOPLE.find(([k]) => k === code)![1].replace(/\s+/g, ''));
      expect(text).toContain('暗号学的消去');
      expect(text).not.toContain('江口');
      expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
      const home = path.join(dir, 'gnupg');
      fs.mkdirSync(home, { mode: 0o700 });
      const pub = await t.deps.db.selectFrom('office_keys').select('public_key').executeTakeFirstOrThrow();
      const g = (args: string[], input?: string) => spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { input, encoding: 'utf8' });
      expect(g(['--import'], pub.public_key).status).toBe(0);
      expect(g(['--verify', path.join(dir, 'c.pdf.asc'), path.join(dir, 'c.pdf')]).status).toBe(0);
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // nothing left that could decrypt them: no record in any form, no key material, no index
    for (const token of tokens) expect(await t.deps.storage.vault.remnants(token)).toEqual([]);
    for (const k of keys) expect(await t.deps.db.selectFrom('data_keys').select('wrapped_key').where('id', '=', k).executeTakeFirstOrThrow()).toEqual({ wrapped_key: null });
    for (const code of LEAVERS) expect(await person(code)).toMatchObject({ state: 'disposed', number_index: '', number_last4: null });
    expect(await reveal('E4')).toBe(numbers[3]);
    expect(await reveal('E5')).toBe(numbers[4]);
  }, 120_000);
});
