import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requestActing } from '../../server/audit/acting.js';
import { record } from '../../server/audit/record.js';
import { auditContext } from '../../server/audit/service.js';
import type { PersonRow } from '../../server/vault/index.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { collectRequest, collectSubmission, keptImagesFor, moveSubmission } from '../helpers/collected.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, numbersIn, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * Breach scoping of what collection from employees leaves in the drops
 * location (issues 16 §3 and 18): kept identity image sets count the employee
 * they show, encrypted to the office key; submissions not confirmed count per
 * company as files whose people are unknown, like unread drops; a staff
 * account that opened a submission or kept images in the window saw the
 * employee's card in clear. The truth is the test's own: which sets, for whom,
 * in which state, at which time.
 */
const NUMBERS = syntheticMyNumbers(12, 1818);
const JST = (s: string) => new Date(`${s}:00+09:00`);

describe.each(testDatabases())('breach scoping of collected submissions and kept identity images on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let now = JST('2026-01-10T09:00');
  let office: VaultOffice;
  const co: Record<'a' | 'b' | 'c', { id: string; name: string }> = {} as never;
  const self: Record<string, PersonRow> = {};
  /** The truth, per scope: people (company:person) and their state, and submissions whose people are unknown, per company. */
  const inBucketNow = { people: new Map<string, 'officeKey' | 'vaultApart'>(), unconfirmed: { a: 0, b: 0 } };
  const inBackup = { people: new Set<string>(), unconfirmed: { a: 0, b: 0 } };
  const at = (s: string) => { now = JST(s); };

  async function viewed(action: 'collect.viewed' | 'collect.imagesViewed', companyId: string, targetIds: string[]) {
    await t.deps.db.transaction().execute((trx) =>
      record(trx, requestActing(auditContext(t.deps), { userId: office.keyHolder.id, role: 'staff', requestId: null }), { action, companyId, targetIds, details: {} }));
  }

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock: { now: () => now } });
    await t.deps.db.insertInto('office').values({ id: 'office', name: 'テスト社労士事務所', created_at: now.toISOString() }).execute();
    office = await makeVaultOffice(t.deps);
    co.a = await makeCompany(t.deps, '青葉商事株式会社');
    co.b = await makeCompany(t.deps, '白川工業株式会社');
    co.c = await makeCompany(t.deps, '黒田運輸株式会社'); // vault only: nothing collected from its employees
    const n = [...NUMBERS];
    const A = await putInVault(t.deps, { companyId: co.a.id, employees: [
      { number: n[0]!, name: '青葉 一郎', employeeCode: 'E1', dependents: [{ number: n[1]!, name: '青葉 花子', relation: '配偶者' }] },
      { number: n[2]!, name: '青葉 二郎', employeeCode: 'E2' },
      { number: n[3]!, name: '青葉 三郎', employeeCode: 'E3' },
    ] });
    const B = await putInVault(t.deps, { companyId: co.b.id, employees: [{ number: n[4]!, name: '白川 一郎', employeeCode: 'F1' }] });
    await putInVault(t.deps, { companyId: co.c.id, employees: [{ number: n[7]!, name: '黒田 一郎', employeeCode: 'G1' }] });
    for (const p of [...A, ...B]) if (p.relation === '本人') self[p.employee_code!] = p;
    const by = office.director.id;

    // 2026-01-10: images kept for E1, E2, E3 (A) and F1 (B); a set a confirmation is still storing for a received submission (B).
    const kE1 = await keptImagesFor(t.deps, co.a.id, by, self.E1!.id);
    await keptImagesFor(t.deps, co.a.id, by, self.E2!.id);
    const kE3 = await keptImagesFor(t.deps, co.a.id, by, self.E3!.id);
    await keptImagesFor(t.deps, co.b.id, by, self.F1!.id);
    await keptImagesFor(t.deps, co.b.id, by, null, { kept: false }); // storing, its submission received: counted once, as that submission
    // Submissions: A two received, one sent back (not destroyed yet); B one received (destroyed after a return later), one confirmed whose people are known.
    const req = () => collectRequest(t.deps, co.a.id, by);
    const sA1 = await collectSubmission(t.deps, co.a.id, await req(), 'received');
    await collectSubmission(t.deps, co.a.id, await req(), 'received');
    await collectSubmission(t.deps, co.a.id, await req(), 'returned');
    const sB1 = await collectSubmission(t.deps, co.b.id, await collectRequest(t.deps, co.b.id, by), 'received');
    const sB2 = await collectSubmission(t.deps, co.b.id, await collectRequest(t.deps, co.b.id, by), 'confirmed');
    const F2 = await putInVault(t.deps, { companyId: co.b.id, dropId: sB2, employees: [{ number: n[5]!, name: '白川 二郎', employeeCode: 'F2', dependents: [{ number: n[6]!, name: '白川 春子', relation: '扶養親族1' }] }] });
    self.F2 = F2.find((p) => p.relation === '本人')!;

    // The backup (drops only) is taken at 2026-01-15: all of the above was in the bucket.
    for (const k of ['E1', 'E2', 'E3']) inBackup.people.add(`a:${self[k]!.id}`);
    for (const p of [self.F1!, ...F2]) inBackup.people.add(`b:${p.id}`);
    inBackup.unconfirmed = { a: 3, b: 2 };

    at('2026-01-20T09:00');
    await moveSubmission(t.deps, sB1, 'disposed-returned');
    await t.deps.db.updateTable('collect_kept_images').set({ state: 'disposed', updated_at: now.toISOString() }).where('id', '=', kE3.id).execute();
    at('2026-01-22T09:00');
    await collectSubmission(t.deps, co.a.id, await req(), 'received'); // after the backup

    for (const k of ['E1', 'E2']) inBucketNow.people.set(`a:${self[k]!.id}`, 'officeKey');
    for (const p of [self.F1!, ...F2]) inBucketNow.people.set(`b:${p.id}`, 'officeKey');
    inBucketNow.unconfirmed = { a: 4, b: 1 };

    // The key holder's window [02-01, 02-10): opened E1's kept images, an unconfirmed submission of A, and B's confirmed one (F2 known); E2's kept images before it.
    at('2026-01-30T10:00');
    await viewed('collect.imagesViewed', co.a.id, ['x', 'y', (await t.deps.db.selectFrom('collect_kept_images').select('id').where('person_id', '=', self.E2!.id).executeTakeFirstOrThrow()).id]);
    at('2026-02-02T10:00');
    await viewed('collect.imagesViewed', co.a.id, [kE1.requestId, kE1.submissionId, kE1.id]);
    await viewed('collect.viewed', co.a.id, ['r', sA1]);
    await viewed('collect.viewed', co.b.id, ['r', sB2]);
    at('2026-02-12T10:00');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  async function scope(body: Record<string, string>, query = '') {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const csrf = await csrfToken(agent, '/office/oversight/breach');
    const res = await agent.post(`/office/oversight/breach${query}`).type('form').send({ _csrf: csrf, ...body });
    expect(res.status).toBe(200);
    expect(numbersIn(res.text, NUMBERS)).toEqual([]);
    expect(res.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    return res.text;
  }
  function count(html: string, attr: string): number {
    const m = new RegExp(`${attr}>([^<]*)<`).exec(html);
    if (!m) throw new Error(`no ${attr} in page`);
    return Number(/\d+/.exec(m[1]!)![0]);
  }
  const row = (html: string, companyId: string) => new RegExp(`<tr data-company="${companyId}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
  const pack = (html: string, companyId: string) => new RegExp(`<article class="card notice-pack" data-pack="${companyId}">([\\s\\S]*?)</article>`).exec(html)?.[1] ?? '';
  const packItems = (html: string, companyId: string) => /<p data-pack-line="items">([^<]*)<\/p>/.exec(pack(html, companyId))?.[1] ?? '';
  const IMAGES_JA = '本人確認書類の画像（マイナンバーカード・通知カード。個人番号が写っています）';
  const IMAGES_EN = 'Identity document images (My Number card, notification card: they show the My Number)';
  const of = (people: Iterable<string>, c: 'a' | 'b') => [...people].filter((k) => k.startsWith(`${c}:`)).length;

  it('when the drops bucket is scoped, each employee whose images are kept counts once, encrypted to the office key, and unconfirmed submissions are counted per client as files of unknown people', async () => {
    const html = await scope({ kind: 'location', location: 'drops' });
    const people = inBucketNow.people.keys();
    expect(count(html, 'data-count="people"')).toBe(inBucketNow.people.size);
    expect(count(html, 'data-state="officeKey"')).toBe(inBucketNow.people.size);
    expect(count(html, 'data-count="notExempt"')).toBe(0);
    expect(count(row(html, co.a.id), 'data-count="people"')).toBe(of(people, 'a'));
    expect(count(row(html, co.b.id), 'data-count="people"')).toBe(of(inBucketNow.people.keys(), 'b'));
    expect(count(html, 'data-count="unconfirmedSubmissions"')).toBe(inBucketNow.unconfirmed.a + inBucketNow.unconfirmed.b);
    expect(count(pack(html, co.a.id), 'data-pack-count="unconfirmedSubmissions"')).toBe(inBucketNow.unconfirmed.a);
    expect(count(pack(html, co.b.id), 'data-pack-count="unconfirmedSubmissions"')).toBe(inBucketNow.unconfirmed.b);
    expect(html).toMatch(/<p class="notice" data-verdict="decide">/);
    expect(html).toContain('data-reason="unconfirmedSubmissions"');
    expect(html).toContain('従業員が自分で提出したもののうち、まだ確定していない');
    // The 速報 draft names the images as an item and the unknown files beside the count.
    expect(html).toMatch(/data-draft="items">[^<]*本人確認書類の画像（マイナンバーカード・通知カード。個人番号が写っています）/);
    expect(html).toMatch(new RegExp(`data-draft="count">[^<]*<br>ほかに、中の人数がわからない従業員本人からの未確定の提出 ${inBucketNow.unconfirmed.a + inBucketNow.unconfirmed.b} 件`));
    expect(html).toMatch(/data-evidence="keptImageSets">[^<]*: 4 組/); // E1, E2, F1 kept, and the one being stored; E3's destroyed set is not there
    const en = await scope({ kind: 'location', location: 'drops' }, '?lang=en');
    expect(en).toContain(`own submissions not confirmed yet: ${inBucketNow.unconfirmed.a + inBucketNow.unconfirmed.b}`);
    expect(en).toContain('Identity document images (My Number card, notification card: they show the My Number)');
  });

  it('when a backup with the drops location is scoped, what was in the bucket then counts — a set destroyed since, a submission since sent back and destroyed — and nothing that arrived later', async () => {
    const html = await scope({ kind: 'backup', takenAt: '2026-01-15T09:00', holdsDrops: '1' });
    expect(count(html, 'data-count="people"')).toBe(inBackup.people.size);
    expect(count(html, 'data-state="officeKey"')).toBe(inBackup.people.size);
    expect(count(row(html, co.a.id), 'data-count="people"')).toBe(of(inBackup.people, 'a'));
    expect(count(html, 'data-count="unconfirmedSubmissions"')).toBe(inBackup.unconfirmed.a + inBackup.unconfirmed.b);
    expect(count(pack(html, co.b.id), 'data-pack-count="unconfirmedSubmissions"')).toBe(inBackup.unconfirmed.b);
  });

  it('when one company is scoped, an employee both held in the vault and shown on kept images counts once, in the worse state', async () => {
    const html = await scope({ kind: 'company', companyId: co.a.id });
    // A holds E1, E1's spouse, E2, E3 in the vault; E1's and E2's images are kept (officeKey is worse than vaultApart).
    expect(count(html, 'data-count="people"')).toBe(4);
    expect(count(html, 'data-state="officeKey"')).toBe(of(inBucketNow.people.keys(), 'a'));
    expect(count(html, 'data-state="vaultApart"')).toBe(4 - of(inBucketNow.people.keys(), 'a'));
    expect(count(html, 'data-count="unconfirmedSubmissions"')).toBe(inBucketNow.unconfirmed.a);
    expect(row(html, co.b.id)).toBe('');
  });

  it('when a staff account is scoped over a window, the employees whose card it opened count in clear, and an opened submission not confirmed counts as one of unknown people', async () => {
    const html = await scope({ kind: 'account', accountId: office.keyHolder.id, from: '2026-02-01T00:00', to: '2026-02-10T00:00' });
    // E1 (kept images opened) in A; F2 (B's confirmed submission opened) in B; E2's images were opened before the window.
    expect(count(html, 'data-count="people"')).toBe(2);
    expect(count(html, 'data-state="plain"')).toBe(2);
    expect(count(row(html, co.a.id), 'data-state="plain"')).toBe(1);
    expect(count(row(html, co.b.id), 'data-state="plain"')).toBe(1);
    expect(count(html, 'data-count="unconfirmedSubmissions"')).toBe(1);
    expect(html).toMatch(/data-evidence="imageViews">[^<]*: 3 回/);
    expect(html).toMatch(/data-draft="items">[^<]*個人番号、氏名/);
  });

  it('each client\'s notice pack names identity images as an item when, and only when, that client\'s images are in scope', async () => {
    // A backup of the vault and the drops location: A and B had kept sets and submissions in the bucket; C only vault records.
    const body = { kind: 'backup', takenAt: '2026-01-15T09:00', holdsVault: '1', holdsDrops: '1' };
    const html = await scope(body);
    expect(packItems(html, co.a.id)).toBe(`漏えい等した項目: 暗号化された個人番号（鍵は別の場所で保護）、${IMAGES_JA}`);
    expect(packItems(html, co.b.id)).toContain(IMAGES_JA);
    expect(packItems(html, co.c.id)).toBe('漏えい等した項目: 暗号化された個人番号（鍵は別の場所で保護）');
    expect(html).toMatch(new RegExp(`data-draft="items">[^<]*${IMAGES_JA.replace(/[()（）]/g, '.')}`));
    const en = await scope(body, '?lang=en');
    expect(packItems(en, co.a.id)).toBe(`Items affected: Encrypted My Numbers (key kept apart); ${IMAGES_EN}`);
    expect(packItems(en, co.c.id)).toBe('Items affected: Encrypted My Numbers (key kept apart)');

    // The staff account's window: it opened A's and B's employees' cards, so both packs name the images, beside the numbers seen in clear.
    const seen = await scope({ kind: 'account', accountId: office.keyHolder.id, from: '2026-02-01T00:00', to: '2026-02-10T00:00' });
    expect(packItems(seen, co.a.id)).toBe(`漏えい等した項目: 個人番号、氏名、フリガナ、従業員番号、続柄、${IMAGES_JA}`);
    expect(packItems(seen, co.b.id)).toContain(IMAGES_JA);

    // C alone: no image anywhere, in its pack or in the 速報 draft.
    const onlyC = await scope({ kind: 'company', companyId: co.c.id });
    expect(packItems(onlyC, co.c.id)).toBe('漏えい等した項目: 暗号化された個人番号（鍵は別の場所で保護）');
    expect(onlyC).not.toContain(IMAGES_JA);
  });
});
