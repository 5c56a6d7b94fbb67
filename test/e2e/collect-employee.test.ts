import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { limits } from '../../server/config.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { ingestCohort, openVaultSession } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers, STANDALONE_TWELVE_DIGITS } from '../helpers/mynumber.js';
import { freePort } from '../helpers/servers.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';
import { describeWithChromium, launchChromium, listenOn, MovableClock } from './browser.js';
import { layoutProblems } from './layout-check.js';
import { arrangeIngestOffice, filesUnder, findInFiles, numberNeedles, signIn, type IngestOffice } from './ingest-helpers.js';

/**
 * Issue 18 §1–2 in real Chromium at phone size (390 px): the client asks five
 * employees from its room; each opens the link from the e-mail, reads and
 * acknowledges the purpose notice, and submits — one with two dependents, one
 * through a dropped connection, one declines. Then: each stored submission
 * is an OpenPGP message that the office key opens to exactly what was typed;
 * the room shows statuses only; staff open each with the key passphrase,
 * confirm three, send one back with a reason (the employee submits again
 * through the new link, and that one is confirmed); the vault then holds
 * exactly the numbers entered; no number (or image bytes) in the clear on
 * disk, in the logs or in any e-mail; every step is in the audit trail.
 * Assertions compare labels and booleans, never print a number.
 */
const COMPANY = 'さくら精機株式会社';
const shotPath = (name: string) => path.join('/tmp', `kinko-collect-${name}.png`);
/** A screenshot at phone width, and the page must not scroll sideways there. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: shotPath(name), fullPage: true });
  expect({ name, overflow: (await layoutProblems(page)).overflow }).toEqual({ name, overflow: null });
}
const PHONE = { width: 390, height: 844 };
const LINK = /http:\/\/127\.0\.0\.1:\d+\/c\/([A-Za-z0-9_-]{32})/;

interface Entered { relation: string; name: string; birth: string; number: string }

describeWithChromium()('collection straight from the employee, at 390 px in real Chromium (e2e)', () => {
  const clock = new MovableClock();
  const numbers = syntheticMyNumbers(8, 1818);
  /** A real photo-like PNG (Chromium draws a card with a tag and random noise), so the staff page shows actual pictures. */
  async function image(tag: string): Promise<Buffer> {
    const page = await browser.newPage({ viewport: { width: 320, height: 200 } });
    const noise = crypto.randomBytes(24).toString('hex');
    await page.setContent(`<body style="margin:0;background:#d8e6f3;font:24px sans-serif"><div style="margin:20px;padding:20px;border:3px solid #235;border-radius:12px">本人確認 ${tag}<br><small>${noise}</small></div></body>`);
    const png = await page.screenshot({ type: 'png' });
    await page.close();
    return png;
  }
  const imageTags = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett'];
  let t: TestApp;
  let smtp: SmtpSink;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let office: IngestOffice;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function phone(): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: PHONE, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('Failed to load resource')) problems.push(m.text());
    });
    return page;
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin, KINKO_SMTP_URL: smtp.url }, { clock });
    office = await arrangeIngestOffice(t.deps, COMPANY);
    server = await listenOn(t.app, port);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await t?.close();
  });

  const people = ['山田 太郎', '佐藤 花子', '鈴木 一郎', '高橋 次郎', '田中 三郎'];
  const links: string[] = [];
  const entered = new Map<string, Entered[]>();
  const pictures = new Map<string, Buffer[]>();

  it('the client asks five employees from its room at 390 px; five e-mails go out, and the room shows 依頼済 for each', async () => {
    const page = await phone();
    const room = `${origin}/room/${office.company.accessKey}`;
    await signIn(page, clock, room, office.client, room);
    await page.click(`a[href$="/collect"]`);
    for (const [i, name] of people.entries()) {
      await page.locator('input[name="name"]').nth(i).fill(name);
      await page.locator('input[name="code"]').nth(i).fill(`E00${i + 1}`);
      await page.locator('input[name="email"]').nth(i).fill(`worker${i}@example.jp`);
    }
    await shot(page, 'room-form');
    await Promise.all([page.waitForURL(/\?sent=5$/), page.click('form.collect-request button[type=submit]')]);
    await smtp.waitFor(5);
    for (const i of people.keys()) links.push(LINK.exec(smtp.messages.find((m) => m.rcptTo[0] === `worker${i}@example.jp`)!.text)![1]!);
    expect(new Set(links).size).toBe(5);
    expect(await page.locator('li[data-status="requested"]').count()).toBe(5);
    await shot(page, 'room-requested');
  }, 60_000);

  async function openAndAcknowledge(link: string): Promise<Page> {
    const page = await phone();
    await page.goto(`${origin}/c/${link}`);
    await Promise.all([page.waitForURL(`${origin}/c/${link}`), page.click('button:has-text("確認して次へ進む")')]);
    await page.locator('#collect-form').waitFor({ state: 'visible' });
    return page;
  }

  async function fill(page: Page, who: string, family: Entered[], kind: 'card' | 'notification' = 'card') {
    const self: Entered = { relation: 'self', name: who, birth: '1985-05-05', number: numbers.shift()! };
    await page.fill('#self-birth', self.birth);
    await page.fill('#self-number', self.number);
    for (const [i, f] of family.entries()) {
      await page.click('#add-family');
      const fs = page.locator('#family-list fieldset').nth(i);
      await fs.locator('input[name="name"]').fill(f.name);
      await fs.locator('select[name="relation"]').selectOption(f.relation);
      await fs.locator('input[name="birth"]').fill(f.birth);
      await fs.locator('input[name="number"]').fill(f.number);
    }
    const roles = kind === 'card' ? ['cardFront', 'cardBack'] : ['notificationCard', 'photoId'];
    if (kind === 'notification') await page.check('input[name="idkind"][value="notification"]');
    const pics: Buffer[] = [];
    for (const _ of roles) pics.push(await image(imageTags.shift()!));
    for (const [i, role] of roles.entries()) await page.setInputFiles(`#img-${role}`, { name: `${role}.png`, mimeType: 'image/png', buffer: pics[i]! });
    entered.set(who, [self, ...family]);
    pictures.set(who, pics);
  }

  async function sendAndWait(page: Page) {
    await page.click('#send');
    await page.locator('#collect-done').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#collect-form').count()).toBe(0);
  }

  it('the first employee reads the notice, a wrong check digit and an oversized or wrong-type image get plain messages before anything is sent, then the form goes', async () => {
    const page = await phone();
    await page.goto(`${origin}/c/${links[0]}`);
    expect(await page.locator('h2:has-text("利用目的のお知らせ")').count()).toBe(1);
    await shot(page, 'employee-notice');
    await Promise.all([page.waitForURL(`${origin}/c/${links[0]}`), page.click('button:has-text("確認して次へ進む")')]);
    await page.locator('#collect-form').waitFor({ state: 'visible' });
    expect(await page.locator('#js-missing').count()).toBe(0);

    const wrong = numbers[0]!.slice(0, 11) + String((Number(numbers[0]![11]) + 1) % 10);
    await page.fill('#self-number', wrong);
    expect(await page.locator('#self-number-check').textContent()).toContain('チェックデジット');
    await page.fill('#self-number', wrong.slice(0, 6));
    expect(await page.locator('#self-number-check').textContent()).toContain('12 桁');
    await page.fill('#self-birth', '1985-05-05');
    await page.fill('#self-number', wrong);
    let posts = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/submit')) posts++; });
    await page.click('#send');
    expect(await page.locator('#form-problem').textContent()).toContain('チェックデジット');

    await page.setInputFiles('#img-cardFront', { name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(limits.collect.maxImageBytes)]) });
    await page.locator('[data-role="cardFront"] .check[data-state="wrong"]').waitFor();
    expect(await page.locator('[data-role="cardFront"] .check').textContent()).toContain('大きすぎます');
    await page.setInputFiles('#img-cardBack', { name: 'doc.pdf', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.7 not an image') });
    await page.locator('[data-role="cardBack"] .check[data-state="wrong"]').waitFor();
    expect(await page.locator('[data-role="cardBack"] .check').textContent()).toContain('使えません');
    await shot(page, 'employee-problems');
    expect(posts).toBe(0);

    await fill(page, people[0]!, []);
    expect(await page.locator('#self-number-check').textContent()).toContain('正しいです');
    await shot(page, 'employee-form');
    await sendAndWait(page);
    await shot(page, 'employee-done');
  }, 90_000);

  it('the second employee adds a spouse and a child; the third uses the notification card; both are sent', async () => {
    const second = await openAndAcknowledge(links[1]!);
    await fill(second, people[1]!, [
      { relation: 'spouse', name: '佐藤 健', birth: '1984-04-04', number: numbers.shift()! },
      { relation: 'child', name: '佐藤 蓮', birth: '2015-10-10', number: numbers.shift()! },
    ]);
    await shot(second, 'employee-family');
    await sendAndWait(second);
    const third = await openAndAcknowledge(links[2]!);
    await fill(third, people[2]!, [], 'notification');
    await sendAndWait(third);
  }, 90_000);

  it('the fourth employee’s connection drops after the server stored the submission; the page sends again and gets the same receipt — nothing is lost, nothing doubled', async () => {
    const page = await openAndAcknowledge(links[3]!);
    await fill(page, people[3]!, []);
    let dropped = false;
    await page.route('**/submit', async (route) => {
      if (dropped) return route.continue();
      dropped = true;
      await route.fetch(); // reaches the server and is stored …
      await route.abort('connectionreset'); // … but the answer never arrives
    });
    await sendAndWait(page);
    expect(dropped).toBe(true);
    const rows = await t.deps.db.selectFrom('collect_submissions').select('id').execute();
    expect(rows).toHaveLength(4);
  }, 90_000);

  it('the fifth employee declines with a reason', async () => {
    const page = await phone();
    await page.goto(`${origin}/c/${links[4]}`);
    await page.click('details.decline summary');
    await page.fill('#decline-reason', '海外赴任中のため、帰国後に提出します。');
    await shot(page, 'employee-decline');
    await Promise.all([page.waitForLoadState(), page.click('details.decline button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toContain('辞退を受け付けました');
  }, 60_000);

  it('each stored submission opens with the office key to exactly what was typed (persons and images); the room shows 提出済 ×4 and 辞退 ×1 and no number', async () => {
    const key = await unlockOfficeKey(t.deps, office.holder.id, office.holder.keyPassphrase);
    const subs = await t.deps.db
      .selectFrom('collect_submissions')
      .innerJoin('collect_requests', 'collect_requests.id', 'collect_submissions.request_id')
      .select(['collect_submissions.stored_key', 'collect_requests.person_name'])
      .execute();
    expect(subs.map((s) => s.person_name).sort()).toEqual(people.slice(0, 4).sort());
    for (const s of subs) {
      const chunks: Buffer[] = [];
      for await (const c of await t.deps.storage.drops.get(s.stored_key)) chunks.push(c as Buffer);
      const message = await openpgp.readMessage({ binaryMessage: new Uint8Array(Buffer.concat(chunks)) });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary' });
      const payload = JSON.parse(Buffer.from(data as Uint8Array).toString('utf8')) as { persons: Entered[]; identity: { images: Array<{ data: string }> } };
      const same = JSON.stringify(payload.persons) === JSON.stringify(entered.get(s.person_name));
      expect({ who: s.person_name, same }).toEqual({ who: s.person_name, same: true });
      const images = payload.identity.images.map((i) => Buffer.from(i.data, 'base64'));
      expect(images.every((b, i) => b.equals(pictures.get(s.person_name)![i]!))).toBe(true);
    }

    const page = await phone();
    const room = `${origin}/room/${office.company.accessKey}`;
    await signIn(page, clock, room, office.client, room);
    await page.goto(`${room}/collect`);
    expect(await page.locator('li[data-status="submitted"]').count()).toBe(4);
    expect(await page.locator('li[data-status="declined"]').count()).toBe(1);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(STANDALONE_TWELVE_DIGITS.test(text.replace(/\s/g, ' '))).toBe(false);
    expect(text).not.toContain('海外赴任');
    await shot(page, 'room-statuses');
  }, 60_000);


  async function staffPage(): Promise<Page> {
    const page = await phone();
    await signIn(page, clock, `${origin}/office/login`, office.holder, `${origin}/office`);
    return page;
  }

  async function openSubmission(page: Page, who: string) {
    await page.goto(`${origin}/office/companies/${office.company.id}/collect`);
    await page.locator('li', { hasText: who }).locator('a:has-text("提出内容を開く")').click();
    await page.fill('#passphrase', office.holder.keyPassphrase);
    await Promise.all([page.waitForURL(/\/open$/), page.click('button:has-text("開いて確認する")')]);
  }

  it('staff open each submission with the key passphrase (persons masked beside the images, no-store), confirm three and send one back with a reason; the employee gets a new link, submits again, and that one is confirmed too', async () => {
    const page = await staffPage();
    for (const [i, who] of people.slice(0, 4).entries()) {
      await openSubmission(page, who);
      const html = await page.content();
      expect(STANDALONE_TWELVE_DIGITS.test(html.replace(/data:image[^"]+/g, ''))).toBe(false);
      expect(await page.locator('.id-images img').count()).toBe(2);
      if (i === 1) await shot(page, 'staff-open');
      if (i === 3) {
        await page.fill('#return-reason', 'カードの裏面が写っていません。もう一度撮ってください。');
        smtp.messages.length = 0;
        await Promise.all([page.waitForURL(/returned=1$/), page.click('#return')]);
        continue;
      }
      await page.fill('#confirm-passphrase', office.holder.keyPassphrase);
      await Promise.all([page.waitForURL(/confirmed=\d+$/), page.click('#confirm')]);
    }
    await shot(page, 'staff-company');
    await smtp.waitFor(1);
    const mail = smtp.messages[0]!;
    expect(mail.text).toContain('カードの裏面が写っていません');
    const fresh = LINK.exec(mail.text)![1]!;
    expect(fresh).not.toBe(links[3]);
    const old = await (await phone()).goto(`${origin}/c/${links[3]}`);
    expect(old?.status()).toBe(404);

    const again = await phone();
    await again.goto(`${origin}/c/${fresh}`);
    expect(await again.locator('.message[role=alert]').textContent()).toContain('カードの裏面が写っていません');
    await shot(again, 'employee-returned');
    await Promise.all([again.waitForURL(`${origin}/c/${fresh}`), again.click('button:has-text("確認して次へ進む")')]);
    await again.locator('#collect-form').waitFor({ state: 'visible' });
    const before = entered.get(people[3]!)!;
    numbers.unshift(before[0]!.number); // the same person, the same number
    pictures.set(`${people[3]!} (sent back)`, pictures.get(people[3]!)!);
    await fill(again, people[3]!, []);
    await sendAndWait(again);

    await openSubmission(page, people[3]!);
    await page.fill('#confirm-passphrase', office.holder.keyPassphrase);
    await Promise.all([page.waitForURL(/confirmed=1$/), page.click('#confirm')]);
  }, 180_000);

  it('the vault holds exactly the numbers entered, under the names entered; every submission is destroyed with a disposal record', async () => {
    const key = await unlockOfficeKey(t.deps, office.holder.id, office.holder.keyPassphrase);
    const session = await openVaultSession(t.deps, { companyId: office.company.id, officeKey: key, cohort: ingestCohort(t.deps.clock.now()) });
    const expected = [...entered.values()].flat();
    const found = await Promise.all(expected.map(async (p) => (await session.findByNumber(t.deps.db, p.number))?.name ?? null));
    expect(found).toEqual(expected.map((p) => p.name));
    const persons = await t.deps.db.selectFrom('persons').select('id').where('company_id', '=', office.company.id).execute();
    expect(persons).toHaveLength(expected.length);
    const subs = await t.deps.db.selectFrom('collect_submissions').select(['id', 'state']).execute();
    expect(subs.map((s) => s.state)).toEqual(subs.map(() => 'disposed'));
    const disposals = await t.deps.db.selectFrom('disposals').select(['subject_id', 'reason']).execute();
    expect(disposals.map((d) => d.reason).sort()).toEqual(['collect-confirmed', 'collect-confirmed', 'collect-confirmed', 'collect-confirmed', 'collect-returned']);
  }, 60_000);

  it('no number and no image bytes in the clear on disk, in the logs or in any e-mail; every step is in the audit trail', async () => {
    const all = [...entered.values()].flat().map((p) => p.number);
    expect(all).toHaveLength(6); // 4 employees + spouse + child (the returned one sent the same number again)
    const needles = new Map<string, Buffer[]>(all.map((n, i) => [`number ${i + 1}`, numberNeedles([n])]));
    for (const [who, pics] of pictures) pics.forEach((p, i) => needles.set(`image ${i + 1} of ${who}`, [p.subarray(100, 164)]));
    expect(findInFiles(filesUnder(t.dataDir), needles)).toEqual([]);
    const hay = Buffer.from([t.logs.text, ...smtp.messages.map((m) => m.raw)].join('\n'));
    const inText = [...needles].filter(([, forms]) => forms.some((f) => hay.includes(f))).map(([label]) => label);
    expect(inText).toEqual([]);

    const actions = (await t.deps.db.selectFrom('audit_log').select('action').where('action', 'like', 'collect.%').execute()).map((a) => a.action);
    const count = (a: string) => actions.filter((x) => x === a).length;
    expect({
      requested: count('collect.requested'), opened: count('collect.opened'), acknowledged: count('collect.acknowledged'), submitted: count('collect.submitted'),
      declined: count('collect.declined'), viewed: count('collect.viewed'), confirmed: count('collect.confirmed'), returned: count('collect.returned'), disposed: count('collect.disposed'),
    }).toEqual({ requested: 5, opened: 6, acknowledged: 5, submitted: 5, declined: 1, viewed: 5, confirmed: 4, returned: 1, disposed: 5 });
    const details = (await t.deps.db.selectFrom('audit_log').select(['details', 'target_ids', 'purpose']).execute()).map((a) => `${a.details} ${a.target_ids} ${a.purpose ?? ''}`).join('\n');
    expect(STANDALONE_TWELVE_DIGITS.test(details)).toBe(false);
    expect(problems).toEqual([]);
  }, 60_000);
});
