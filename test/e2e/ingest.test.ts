import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { decryptRecord, unwrapKey } from '../../server/vault/crypto.js';
import { openVaultSession } from '../../server/vault/service.js';
import { PREVIEW_PAGE_SIZE } from '../../server/ingest/preview-view.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { variants } from '../helpers/mynumber.js';
import { freePort } from '../helpers/servers.js';
import { describeWithChromium, launchChromium, listenOn, MovableClock } from './browser.js';
import {
  arrangeIngestOffice,
  digits,
  encodings,
  filesUnder,
  findInFiles,
  FIXTURES,
  loadTruth,
  numberNeedles,
  readPersonPages,
  SAMPLE_FILES,
  signIn,
  TRUTH_REASON,
  type IngestOffice,
  type SampleFile,
} from './ingest-helpers.js';
import { dropDisposalRow } from '../helpers/disposal.js';

/**
 * The office half of issue 5 in real Chromium against the real app: the
 * client drops the three shared sample files through the room page (the
 * browser encrypts them to the office key); a staff member who holds a copy
 * of the office key opens 受け取ったファイル, starts each ingest with the key
 * passphrase, checks the masked preview and the rows held back, and
 * confirms. Then: the vault holds exactly the truth persons, the originals
 * are gone with their disposal records, the room says 廃棄済, the audit trail
 * names the staff member, and no data file or log line holds a sample number
 * or readable content of the files.
 *
 * Assertions compare names, counts and booleans, so a failure never prints a
 * (synthetic) number.
 */
const COMPANY = 'さくら精機株式会社';
const SHOTS = '/tmp';
const shot = (name: string) => path.join(SHOTS, `kinko-ingest-${name}.png`);

describeWithChromium()('ingest of the three sample files in real Chromium (e2e)', () => {
  const clock = new MovableClock();
  const truth = loadTruth();
  const allTruth = SAMPLE_FILES.flatMap((f) => truth[f].persons.map((p) => ({ ...p, file: f })));
  let t: TestApp;
  let server: { close(): Promise<void> };
  let browser: Browser;
  let origin: string;
  let office: IngestOffice;
  let roomUrl: string;
  const contexts: BrowserContext[] = [];
  const pageProblems: string[] = [];
  /** Drop id of each sample file, as the room received it. */
  const dropOf = new Map<SampleFile, { id: string; storedKey: string; sha256: string; size: number }>();
  let holderPage: Page;

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1200, height: 900 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' || m.location().url.endsWith('/favicon.ico')) return;
      pageProblems.push(`${page.url()} (${m.location().url}): ${m.text()}`);
    });
    page.on('pageerror', (e) => pageProblems.push(`${page.url()}: ${e.message}`));
    return page;
  }

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    t = await makeTestApp({ KINKO_PUBLIC_URL: origin }, { clock });
    server = await listenOn(t.app, port);
    office = await arrangeIngestOffice(t.deps, COMPANY);
    roomUrl = `${origin}/room/${office.company.accessKey}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('the client drops the three sample files through the room page; each is stored encrypted to the office key', async () => {
    const page = await newPage();
    await signIn(page, clock, roomUrl, office.client, roomUrl);
    await page.waitForSelector('#drop-panel.enhanced');
    await page.setInputFiles('#drop-files', SAMPLE_FILES.map((f) => path.join(FIXTURES, f)));
    await page.waitForSelector('.drop-item[data-state=done] >> nth=2', { timeout: 60_000 });
    const rows = await t.deps.db.selectFrom('drops').selectAll().where('company_id', '=', office.company.id).execute();
    expect(rows.map((r) => r.file_name).sort()).toEqual([...SAMPLE_FILES].sort());
    for (const r of rows) {
      expect({ file: r.file_name, kind: r.kind, state: r.state }).toEqual({ file: r.file_name, kind: 'client-encrypted', state: 'received' });
      dropOf.set(r.file_name as SampleFile, { id: r.id, storedKey: r.stored_key, sha256: r.sha256, size: r.size });
    }
  }, 90_000);

  it('a staff member without a key copy sees the drop and why they cannot ingest it', async () => {
    const page = await newPage();
    await signIn(page, clock, `${origin}/office/login`, office.plain, `${origin}/office`);
    await page.goto(`${origin}/office/drops/${dropOf.get('sample_roster.csv')!.id}`);
    expect(await page.textContent('main')).toContain('受付済');
    expect(await page.$('#passphrase')).toBeNull();
    expect(await page.textContent('p.notice')).toContain('事務所の鍵を預かっていないため、取り込みはできません');
  }, 60_000);

  it('the key holder opens 届いたファイル and sees the room’s new arrivals and the three drops waiting', async () => {
    holderPage = await newPage();
    const page = holderPage;
    await signIn(page, clock, `${origin}/office/login`, office.holder, `${origin}/office`);
    expect(await page.getAttribute('html', 'lang')).toBe('ja');

    await Promise.all([page.waitForURL(`${origin}/office/drops`), page.click('header a[href="/office/drops"]')]);
    const inboxRow = page.locator('tr.inbox-row', { hasText: COMPANY });
    expect(await inboxRow.textContent()).toContain('3 件');

    await page.goto(`${origin}/office`);
    await Promise.all([page.waitForURL(`${origin}/office/drops`), page.click('main a[href="/office/drops"]')]);
    expect(await page.textContent('h1')).toBe('届いたファイル');
    for (const f of SAMPLE_FILES) {
      const row = page.locator('tbody tr', { hasText: f });
      expect(await row.count()).toBe(1);
      expect(await row.textContent()).toContain(COMPANY);
      expect(await row.locator('td').last().textContent()).toContain('受付済');
    }
  }, 60_000);

  for (const file of SAMPLE_FILES) {
    it(`${file}: the key holder enters the key passphrase, checks the masked preview and the rows held back, confirms; the original is destroyed with a record`, async () => {
      const page = holderPage;
      const want = truth[file];
      const drop = dropOf.get(file)!;
      await page.goto(`${origin}/office/drops`);
      await Promise.all([page.waitForURL(`${origin}/office/drops/${drop.id}`), page.click(`a:text-is("${file}")`)]);
      expect(await page.textContent('main')).toContain(drop.sha256);
      expect(await page.textContent('label[for=passphrase]')).toBe('鍵のパスフレーズ');
      await page.fill('#passphrase', office.holder.keyPassphrase);
      await Promise.all([page.waitForURL(/\/office\/ingest\/[A-Za-z0-9_-]{22}$/, { timeout: 60_000 }), page.click('form[action$="/ingest"] button[type=submit]')]);

      // The preview: every truth person by name, the number masked to its last four, nothing more of it.
      // The person list is paged (PREVIEW_PAGE_SIZE a page): read every page through its "next" link.
      expect(await page.textContent('h1')).toBe('取り込みの確認');
      const previewUrl = page.url();
      const pages = await readPersonPages(page, origin);
      expect(pages).toHaveLength(Math.ceil(want.persons.length / PREVIEW_PAGE_SIZE));
      const personsTable = pages.map((x) => x.table).join('\n');
      for (const p of want.persons) {
        expect({ name: p.name, shown: personsTable.includes(p.name) }).toEqual({ name: p.name, shown: true });
        expect({ name: p.name, masked: personsTable.includes(`**** **** ${p.number.slice(-4)}`) }).toEqual({ name: p.name, masked: true });
      }
      const html = pages.map((x) => x.html).join('\n');
      const leaked = allTruth.filter((p) => numberNeedles([p.number]).some((n) => html.includes(n.toString('utf8'))));
      expect(leaked.map((p) => p.name)).toEqual([]);
      const cells = pages.flatMap((x) => x.cells);
      expect(cells.length).toBe(want.persons.length);
      // Each one is added: none is taken for someone already held, or for an earlier row, with another number.
      const notAdded = cells.filter((c) => c[6] !== '追加する').map((c) => `${c[1]}: ${c[6]}`);
      expect(notAdded).toEqual([]);
      if (pages.length > 1) await page.goto(previewUrl);
      expect(await page.textContent('main')).toContain(`金庫に追加する人: ${want.persons.length} 人`);

      // The review list: each truth review row by name with its reason, and only those.
      if (want.review.length) {
        const review = page.locator('table.preview-review');
        const reviewRows = await review.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
        const reasonText: Record<string, string> = {
          'check-digit': '個人番号の検査用数字（最後の 1 桁）が合いません',
          'wrong-length': '個人番号の桁数が 12 桁ではありません',
        };
        expect(reviewRows.map((r) => `${r[0]}: ${r[4]}`).sort()).toEqual(want.review.map((r) => `${r.name}: ${reasonText[TRUTH_REASON[r.reason]!]}`).sort());
        for (const r of reviewRows) expect(digits(r[3]!).length).toBeLessThanOrEqual(4); // the written value, masked
        expect(await page.textContent('main')).toContain(`保留する行（${want.review.length} 行）`);
      } else {
        expect(await page.locator('table.preview-review').count()).toBe(0);
      }
      const name = file.replace(/\W+/g, '-');
      await page.screenshot({ path: shot(`preview-${name}`), fullPage: true });
      await page.screenshot({ path: shot(`preview-${name}-top`) }); // what the staff member sees first
      if (want.review.length) await page.locator('table.preview-review').screenshot({ path: shot(`preview-${name}-review`) });

      await Promise.all([
        page.waitForURL(`${origin}/office/drops/${drop.id}?committed=1`, { timeout: 60_000 }),
        page.click('button[formaction$="/confirm"]'),
      ]);
      const main = (await page.textContent('main'))!;
      expect(main).toContain('金庫への取り込みが完了しました');
      expect(main).toContain(`金庫に追加: ${want.persons.length} 人`);
      expect(main).toContain(`保留（確認が必要）: ${want.review.length} 行`);
      // 廃棄済, and the disposal record: what was destroyed, how, when it was checked, by whom.
      expect(await page.locator('dl.facts').first().textContent()).toContain('廃棄済');
      const disposal = (await page.locator('dl.facts').nth(1).textContent())!;
      expect(disposal).toContain(drop.sha256);
      expect(disposal).toContain(`${drop.size} バイト`);
      expect(disposal).toContain('保管場所から削除（すべての版・一時ファイルを含む）');
      expect(disposal).toContain(office.holder.name);
      expect(main).toContain('残っていないことを確認しました');
      if (want.review.length) {
        for (const r of want.review) expect(main).toContain(r.name);
      }
      if (file === 'sample_title_rows.xlsx') await page.screenshot({ path: shot('drop-after'), fullPage: true });
    }, 120_000);
  }

  it('the vault holds exactly the truth persons: names by blind index, every record decrypts to its number', async () => {
    const persons = await t.deps.db.selectFrom('persons').selectAll().where('company_id', '=', office.company.id).execute();
    expect(persons.length).toBe(allTruth.length);
    expect(persons.every((p) => p.state === 'held' && p.relation === '本人')).toBe(true);

    const officeKey = await unlockOfficeKey(t.deps, office.director.id, office.director.keyPassphrase);
    const session = await openVaultSession(t.deps, { companyId: office.company.id, officeKey, cohort: persons[0]!.cohort });
    const wrong: string[] = [];
    const matched = new Map<string, string>(); // person id → truth number
    try {
      for (const p of allTruth) {
        const held = await session.findByNumber(t.deps.db, p.number);
        if (!held || held.name !== p.name || held.source_drop_id !== dropOf.get(p.file)!.id) wrong.push(`${p.file}: ${p.name}`);
        else matched.set(held.id, p.number);
      }
    } finally {
      session.close();
    }
    expect(wrong).toEqual([]);
    expect(matched.size).toBe(allTruth.length); // one row per truth person, none shared

    // The vault objects are exactly the rows' tokens, and each decrypts (under its data key) to the truth number.
    const objects: string[] = [];
    for await (const o of t.deps.storage.vault.list()) objects.push(o.key);
    expect(objects.sort()).toEqual(persons.map((p) => p.token).sort());
    const rawKeys = new Map<string, Buffer>();
    let mismatched = 0;
    for (const p of persons) {
      if (!rawKeys.has(p.data_key_id)) {
        const dk = await t.deps.db.selectFrom('data_keys').selectAll().where('id', '=', p.data_key_id).executeTakeFirstOrThrow();
        rawKeys.set(p.data_key_id, await unwrapKey(dk.wrapped_key!, officeKey));
      }
      const chunks: Buffer[] = [];
      for await (const c of await t.deps.storage.vault.get(p.token)) chunks.push(c as Buffer);
      if (decryptRecord(rawKeys.get(p.data_key_id)!, p.token, Buffer.concat(chunks)) !== matched.get(p.id)) mismatched += 1;
    }
    for (const k of rawKeys.values()) k.fill(0);
    expect(mismatched).toBe(0);

    // Every review row is held back with its reason, and is not in the vault.
    const review = await t.deps.db.selectFrom('ingest_review').selectAll().where('company_id', '=', office.company.id).execute();
    const wantReview = SAMPLE_FILES.flatMap((f) => truth[f].review.map((r) => `${dropOf.get(f)!.id} ${r.name}: ${TRUTH_REASON[r.reason]}`));
    expect(review.map((r) => `${r.drop_id} ${r.name}: ${r.reason}`).sort()).toEqual(wantReview.sort());
    const heldNames = new Set(persons.map((p) => p.name));
    for (const f of SAMPLE_FILES) for (const r of truth[f].review) expect({ name: r.name, held: heldNames.has(r.name) }).toEqual({ name: r.name, held: false });
  }, 120_000);

  it('the key holder reveals one person of each file on the person page, for a statutory purpose, and sees the right number', async () => {
    const page = holderPage;
    const nameCount = new Map<string, number>();
    for (const p of allTruth) nameCount.set(p.name, (nameCount.get(p.name) ?? 0) + 1);
    for (const file of SAMPLE_FILES) {
      const p = allTruth.find((x) => x.file === file && nameCount.get(x.name) === 1)!;
      await page.goto(`${origin}/office/companies/${office.company.id}/persons`);
      await page.fill('#q', p.name);
      await Promise.all([page.waitForLoadState('load'), page.click('form[method=get] button[type=submit]')]);
      const row = page.locator('tbody tr', { hasText: p.name });
      expect(await row.count()).toBe(1);
      expect(await row.textContent()).toContain(file);
      await Promise.all([page.waitForURL(/\/office\/persons\/[A-Za-z0-9_-]+$/), row.locator('a[href^="/office/persons/"]').click()]);
      expect(await page.textContent('h1')).toBe(p.name);
      expect(digits((await page.textContent('main'))!)).not.toContain(p.number);
      await page.selectOption('#purpose', 'health-pension');
      await page.fill('#passphrase', office.holder.keyPassphrase);
      await Promise.all([page.waitForLoadState('load'), page.click('form[action$="/reveal"] button[type=submit]')]);
      const shown = digits((await page.textContent('#reveal-number'))!);
      expect({ name: p.name, right: shown === p.number }).toEqual({ name: p.name, right: true });
      expect(await page.textContent('#reveal')).toContain('健康保険・厚生年金保険');
    }
    const reveals = await t.deps.db.selectFrom('audit_log').select(['action', 'actor_id', 'purpose']).where('action', '=', 'vault.reveal').execute();
    expect(reveals).toEqual(SAMPLE_FILES.map(() => ({ action: 'vault.reveal', actor_id: office.holder.id, purpose: '健康保険・厚生年金保険' })));
  }, 90_000);

  it('the originals are gone from storage; every drop is 廃棄済 in the office list and in the client room', async () => {
    for (const [file, d] of dropOf) {
      expect({ file, remnants: await t.deps.storage.drops.remnants(d.storedKey) }).toEqual({ file, remnants: [] });
      await expect(t.deps.storage.drops.head(d.storedKey)).rejects.toBeInstanceOf(StorageNotFoundError);
      const row = await t.deps.db.selectFrom('drops').select('state').where('id', '=', d.id).executeTakeFirstOrThrow();
      expect({ file, state: row.state }).toEqual({ file, state: 'disposed' });
      const rec = await dropDisposalRow(t.deps.db, d.id);
      expect(rec).toMatchObject({ sha256: d.sha256, size: d.size, method: 'storage-delete-all-versions', backend: 'local', by_user: office.holder.id });
    }
    const left: string[] = [];
    for await (const o of t.deps.storage.drops.list()) left.push(o.key);
    expect(left).toEqual([]);

    await holderPage.goto(`${origin}/office/drops`);
    for (const f of SAMPLE_FILES) expect(await holderPage.locator('tbody tr', { hasText: f }).locator('td').last().textContent()).toContain('廃棄済');

    const client = await newPage();
    await signIn(client, clock, roomUrl, office.client, roomUrl);
    await client.goto(`${roomUrl}/drops`);
    for (const f of SAMPLE_FILES) {
      const row = client.locator('table.drops tbody tr', { hasText: f });
      expect(await row.count()).toBe(1);
      expect(await row.locator('td').nth(3).textContent()).toBe('廃棄済');
    }
    await client.screenshot({ path: shot('room-after'), fullPage: true });
  }, 60_000);

  it('the audit trail shows ingest.commit and drop.destroy for each drop by the key holder, counts only; the director reads it in the console', async () => {
    const entries = await t.deps.db.selectFrom('audit_log').selectAll().where('action', 'in', ['ingest.commit', 'drop.destroy']).execute();
    for (const [file, d] of dropOf) {
      for (const action of ['ingest.commit', 'drop.destroy']) {
        const mine = entries.filter((e) => e.action === action && e.target_ids.includes(d.id));
        expect({ file, action, n: mine.length, by: mine[0]?.actor_id, role: mine[0]?.actor_role, result: mine[0]?.result }).toEqual({
          file,
          action,
          n: 1,
          by: office.holder.id,
          role: 'staff',
          result: 'ok',
        });
      }
      const commit = entries.find((e) => e.action === 'ingest.commit' && e.target_ids.includes(d.id))!;
      expect(JSON.parse(commit.details)).toMatchObject({ personsAdded: truth[file].persons.length, review: truth[file].review.length, duplicates: 0, excluded: 0 });
    }

    const page = await newPage();
    await signIn(page, clock, `${origin}/office/login`, office.director, `${origin}/office`);
    for (const action of ['ingest.commit', 'drop.destroy']) {
      await page.goto(`${origin}/office/audit?action=${action}`);
      const rows = page.locator('table tbody tr', { hasText: action });
      expect(await rows.count()).toBe(3);
      for (const text of await rows.allTextContents()) expect(text).toContain(office.holder.name);
    }
    await page.screenshot({ path: shot('audit'), fullPage: true });
  }, 60_000);

  it('no data-folder file and no log line holds a sample number in any written form, nor readable content of the files; names only in the database', async () => {
    expect(pageProblems).toEqual([]);
    const files = filesUnder(t.dataDir);
    expect(files.length).toBeGreaterThan(0);

    const label = (i: number) => `number of ${allTruth[i]!.file} #${i + 1} (${allTruth[i]!.name})`; // names repeat: the index keeps labels apart
    const numbers = new Map(allTruth.map((p, i) => [label(i), numberNeedles([p.number])]));
    expect(numbers.size).toBe(allTruth.length);
    // The search itself works: a full-width, spaced form in Shift_JIS, written outside the data folder, is found.
    const control = path.join(os.tmpdir(), `kinko-e2e-control-${process.pid}.txt`);
    fs.writeFileSync(control, Buffer.concat([Buffer.from('x'), iconv.encode(variants(allTruth[7]!.number)[5]!, 'Shift_JIS'), Buffer.from('y')]));
    try {
      expect(findInFiles([control], numbers)).toEqual([{ file: control, found: [label(7)] }]);
    } finally {
      fs.rmSync(control, { force: true });
    }
    expect(findInFiles(files, numbers)).toEqual([]);
    const logs = t.logs.text;
    expect(logs.length).toBeGreaterThan(0);
    expect(allTruth.filter((p) => numberNeedles([p.number]).some((n) => logs.includes(n.toString('utf8')))).map((p) => p.name)).toEqual([]);

    // Readable content of the files: raw slices of each original, and text of the decoded files that kinko never keeps.
    const csv = fs.readFileSync(path.join(FIXTURES, 'sample_roster.csv'), 'utf8').replace(/^\uFEFF/, '');
    const [header, firstRow] = csv.split(/\r?\n/);
    const plaintext = new Map<string, Buffer[]>([
      ['csv header line', encodings(header!)],
      ['csv first row', encodings(firstRow!)],
      ['csv name+furigana', encodings('山口 翔太,テスト')],
      ['csv hire date', encodings('2019/04/01')],
      ['xlsx title row', encodings('年分 従業員マイナンバー一覧')],
      ['xlsx phone header', encodings('電話番号')],
    ]);
    for (const f of SAMPLE_FILES) {
      const bytes = fs.readFileSync(path.join(FIXTURES, f));
      plaintext.set(`${f} first 64 bytes`, [bytes.subarray(0, 64)]);
      plaintext.set(`${f} middle 64 bytes`, [bytes.subarray(bytes.length >> 1, (bytes.length >> 1) + 64)]);
    }
    expect(findInFiles(files, plaintext)).toEqual([]);
    for (const [label, forms] of plaintext) expect({ label, inLogs: forms.some((b) => logs.includes(b.toString('utf8'))) }).toEqual({ label, inLogs: false });

    // Names belong in the database (persons rows, review rows) and nowhere else: not in storage, not in the logs.
    const names = new Map([...allTruth.map((p) => p.name), ...SAMPLE_FILES.flatMap((f) => truth[f].review.map((r) => r.name))].map((n) => [n, encodings(n)]));
    const withNames = findInFiles(files, names).map((h) => path.relative(t.dataDir, h.file));
    expect(withNames.some((f) => path.basename(f).startsWith('kinko.sqlite'))).toBe(true); // they are there, so the search finds text
    expect(withNames.filter((f) => !/^kinko\.(sqlite|db)(-wal|-shm|-journal)?$/.test(path.basename(f)))).toEqual([]);
    expect([...names.keys()].filter((n) => logs.includes(n))).toEqual([]);
  }, 120_000);
});
