import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readNumbersForPurpose, revealNumber, type PersonRow } from '../../server/vault/index.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, numbersIn, PASSPHRASES, putInVault, randomId, type Employee, type VaultOffice } from '../helpers/vault-office.js';

/**
 * Breach scoping through HTTP, as the director uses it (issue 16 §3), on a
 * synthetic office with three clients, real reveals and bulk reads through
 * the vault, and drops in every state. Each expected count is the test's own
 * truth, computed from what it did (which numbers, by whom, when) — never by
 * asking the code under test.
 */
const NUMBERS = syntheticMyNumbers(40, 1616);
const JST = (s: string) => new Date(`${s}:00+09:00`);
const T1 = '2026-03-01T09:00';
const T2 = '2026-03-31T18:00';

describe.each(testDatabases())('breach scoping on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let now = JST('2026-01-05T09:00');
  let office: VaultOffice;
  let client: MadeUser;
  const co: Record<'a' | 'b' | 'c', { id: string; name: string }> = {} as never;
  let held: Record<'a' | 'b', PersonRow[]> = { a: [], b: [] };
  /** The truth: company + number of each person the key holder saw in clear within [T1, T2). */
  const plainInWindow = new Set<string>();
  const relationOf = new Map<string, string>();
  /** Drops: unread per company, and the people (company + number) of the ingested, not yet destroyed one. */
  const unread: Record<string, number> = {};
  const inIngestedDrop = new Set<string>();

  const at = (s: string) => { now = JST(s); };
  const key = (companyId: string, number: string) => `${companyId}:${number}`;

  async function drop(companyId: string, state: 'received' | 'ingested' | 'disposed'): Promise<string> {
    const id = randomId();
    const stamp = now.toISOString();
    await t.deps.db.insertInto('drops').values({
      id, company_id: companyId, uploaded_by: client.id, file_name: 'roster.csv', stored_key: randomId(), size: 100,
      sha256: '0'.repeat(64), kind: 'client-encrypted', state, created_at: stamp, updated_at: stamp,
    }).execute();
    return id;
  }

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock: { now: () => now } });
    await t.deps.db.insertInto('office').values({ id: 'office', name: 'テスト社労士事務所', created_at: now.toISOString() }).execute();
    office = await makeVaultOffice(t.deps);
    co.a = await makeCompany(t.deps, '青葉商事株式会社');
    co.b = await makeCompany(t.deps, '白川工業株式会社');
    co.c = await makeCompany(t.deps, '緑町運輸株式会社');
    client = await makeUser(t.deps, { role: 'client', companyId: co.a.id });
    const n = [...NUMBERS];
    const A: Employee[] = [
      { number: n[0]!, name: '青葉 一郎', employeeCode: 'A1' },
      { number: n[1]!, name: '青葉 二郎', employeeCode: 'A2', dependents: [{ number: n[2]!, name: '青葉 花子', relation: '配偶者' }, { number: n[3]!, name: '青葉 太郎', relation: '扶養親族1' }] },
      // A3's spouse is also an employee (A5): one person, listed twice.
      { number: n[4]!, name: '青葉 三郎', employeeCode: 'A3', dependents: [{ number: n[5]!, name: '青葉 良子', relation: '配偶者' }] },
      { number: n[6]!, name: '青葉 四郎', employeeCode: 'A4', dependents: [{ number: n[7]!, name: '青葉 次郎', relation: '扶養親族1' }] },
      { number: n[5]!, name: '青葉 良子', employeeCode: 'A5' },
    ];
    const B: Employee[] = [
      { number: n[10]!, name: '白川 一郎', employeeCode: 'B1' },
      { number: n[11]!, name: '白川 二郎', employeeCode: 'B2', dependents: [{ number: n[12]!, name: '白川 春子', relation: '扶養親族1' }] },
      { number: n[13]!, name: '白川 三郎', employeeCode: 'B3' },
    ];
    const disposedDrop = await drop(co.a.id, 'disposed');
    held.a = await putInVault(t.deps, { companyId: co.a.id, employees: A, dropId: disposedDrop });
    const ingested = await drop(co.b.id, 'ingested');
    held.b = await putInVault(t.deps, { companyId: co.b.id, employees: B, dropId: ingested });
    for (const p of held.b) inIngestedDrop.add(key(co.b.id, numberOf(p, B)));
    await drop(co.a.id, 'received');
    await drop(co.a.id, 'received');
    await drop(co.c.id, 'received');
    Object.assign(unread, { [co.a.id]: 2, [co.c.id]: 1 });

    const holder = { userId: office.keyHolder.id, role: 'staff' as const };
    const director = { userId: office.director.id, role: 'director' as const };
    const reveal = async (who: typeof holder | typeof director, p: PersonRow, when: string, number: string, companyId: string) => {
      at(when);
      await revealNumber(t.deps, { personId: p.id, actor: who, passphrase: who === holder ? PASSPHRASES.keyHolder : PASSPHRASES.director, purpose: 'health-pension' });
      const inside = who === holder && now >= JST(T1) && now < JST(T2);
      if (inside) plainInWindow.add(key(companyId, number));
    };
    const a = (code: string, rel = '本人') => held.a.find((p) => p.employee_code === code && p.relation === rel)!;
    const b = (code: string) => held.b.find((p) => p.employee_code === code && p.relation === '本人')!;
    await reveal(holder, a('A1'), '2026-02-27T10:00', n[0]!, co.a.id); // before T1
    await reveal(holder, a('A2'), '2026-03-02T10:00', n[1]!, co.a.id);
    await reveal(holder, a('A3', '配偶者'), '2026-03-03T10:00', n[5]!, co.a.id);
    await reveal(holder, a('A5'), '2026-03-04T10:00', n[5]!, co.a.id); // same person again
    await reveal(holder, b('B1'), '2026-03-05T10:00', n[10]!, co.b.id);
    await reveal(director, b('B3'), '2026-03-06T10:00', n[13]!, co.b.id); // another account
    await reveal(holder, b('B2'), '2026-03-31T18:00', n[11]!, co.b.id); // exactly at T2: outside [T1, T2)
    at('2026-03-10T10:00');
    const a4 = held.a.filter((p) => p.employee_code === 'A4');
    await readNumbersForPurpose(t.deps, { companyId: co.a.id, personIds: a4.map((p) => p.id), actor: holder, passphrase: PASSPHRASES.keyHolder, purpose: 'withholding-slip' });
    plainInWindow.add(key(co.a.id, n[6]!)).add(key(co.a.id, n[7]!));
    for (const [num, rel] of [[n[1], '本人'], [n[5], '本人'], [n[10], '本人'], [n[6], '本人'], [n[7], '扶養親族1']] as const) relationOf.set(num!, rel);
    at('2026-04-02T10:00');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  function numberOf(p: PersonRow, list: Employee[]): string {
    for (const e of list) {
      if (e.employeeCode !== p.employee_code) continue;
      if (p.relation === '本人') return e.number;
      return e.dependents!.find((d) => d.relation === p.relation)!.number;
    }
    throw new Error('unknown person');
  }

  async function director(stepUp = true) {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp });
    const csrf = stepUp ? await csrfToken(agent, '/office/oversight/breach') : await csrfToken(agent, '/office');
    return { agent, csrf };
  }

  function count(html: string, attr: string, scopeHtml = html): number {
    const m = new RegExp(`${attr}>([^<]*)<`).exec(scopeHtml);
    if (!m) throw new Error(`no ${attr} in page`);
    return Number(/\d+/.exec(m[1]!)![0]);
  }
  function companyRow(html: string, companyId: string): string {
    const m = new RegExp(`<tr data-company="${companyId}">([\\s\\S]*?)</tr>`).exec(html);
    return m ? m[1]! : '';
  }
  function expectNoNumbers(html: string) {
    expect(numbersIn(html, NUMBERS)).toEqual([]);
    expect(html).not.toMatch(STANDALONE_TWELVE_DIGITS);
  }

  it('when the director scopes the key holder between T1 and T2, the people seen in clear come out once each, per client, with the verdict', async () => {
    const { agent, csrf } = await director();
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'account', accountId: office.keyHolder.id, from: T1, to: T2 });
    expect(res.status).toBe(200);
    const html = res.text;
    expect(count(html, 'data-count="people"')).toBe(plainInWindow.size);
    expect(count(html, 'data-state="plain"')).toBe(plainInWindow.size);
    const perCompany = (id: string) => [...plainInWindow].filter((k) => k.startsWith(`${id}:`)).length;
    expect(count(companyRow(html, co.a.id), 'data-count="people"')).toBe(perCompany(co.a.id));
    expect(count(companyRow(html, co.b.id), 'data-count="people"')).toBe(perCompany(co.b.id));
    expect(companyRow(html, co.c.id)).toBe('');
    const selves = [...relationOf.values()].filter((r) => r === '本人').length;
    expect(count(html, 'data-relation="self"')).toBe(selves);
    expect(count(html, 'data-relation="dependent"')).toBe(relationOf.size - selves);
    expect(html).toContain('data-verdict="no"');
    expect(html).toContain('data-reason="underLimit"');
    expect(html).toMatch(/data-evidence="reveals">[^<]*4 回/);
    expect(html).toContain('速報の下書き');
    expect(html).toContain('テスト社労士事務所');
    expect(html).toContain('青葉商事株式会社 御中');
    expect(html).toMatch(/data-section="bundles">[^<]*: 0</);
    expectNoNumbers(html);
  });

  it('when 不正目的 is ticked, the same scope is reportable whatever the headcount, with 速報 and a 60-day 確報 deadline', async () => {
    const { agent, csrf } = await director();
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'account', accountId: office.keyHolder.id, from: T1, to: T2, fraud: '1', discoveredOn: '2026-04-02' });
    expect(res.text).toMatch(/<p class="notice" data-verdict="yes">/);
    expect(res.text).toContain('data-reason="fraud"');
    expect(res.text).toMatch(/data-due="quick">速報: 2026-04-07 まで/);
    expect(res.text).toMatch(/data-due="final">確報: 2026-06-01 まで（発覚から 60 日）/);
  });

  it('when the director scopes the drops bucket, the people of the ingested, not yet destroyed drop count as encrypted to the office key, and unread files are counted per client', async () => {
    const { agent, csrf } = await director();
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'location', location: 'drops' });
    const html = res.text;
    expect(count(html, 'data-count="people"')).toBe(inIngestedDrop.size);
    expect(count(html, 'data-state="officeKey"')).toBe(inIngestedDrop.size);
    expect(count(html, 'data-count="notExempt"')).toBe(0);
    expect(count(html, 'data-count="unreadDrops"')).toBe(unread[co.a.id]! + unread[co.c.id]!);
    expect(count(companyRow(html, co.b.id), 'data-state="officeKey"')).toBe(inIngestedDrop.size);
    expect(count(companyRow(html, co.a.id), 'data-count="people"')).toBe(0);
    expect(companyRow(html, co.c.id)).not.toBe('');
    // People unknown inside unread files: the director decides, with deadlines shown.
    expect(html).toMatch(/<p class="notice" data-verdict="decide">/);
    expect(html).toContain('data-reason="unreadDrops"');
    expect(html).toContain('data-reason="exemptionLikely"');
    expectNoNumbers(html);
  });

  it('when the director scopes one company, every held person counts once, encrypted with keys apart', async () => {
    const { agent, csrf } = await director();
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'company', companyId: co.a.id });
    const distinctA = new Set(held.a.map((p) => p.number_index)).size;
    expect(distinctA).toBe(held.a.length - 1); // A5 is A3's spouse
    expect(count(res.text, 'data-count="people"')).toBe(distinctA);
    expect(count(res.text, 'data-state="vaultApart"')).toBe(distinctA);
  });

  it('when a client account is scoped, no number is affected and the page says why', async () => {
    const { agent, csrf } = await director();
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'account', accountId: client.id, from: T1, to: T2 });
    expect(res.text).toMatch(/<p class="notice" data-verdict="none">/);
    expect(res.text).toContain('番号が影響を受けたおそれのある人は見つかりませんでした');
    expect(res.text).toContain('data-evidence="logins"');
  });

  it('when the window ends before it starts, the account is unknown or the company is not this office\'s, the form says so plainly', async () => {
    const { agent, csrf } = await director();
    const send = (body: Record<string, string>) => agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, ...body });
    const backwards = await send({ kind: 'account', accountId: office.keyHolder.id, from: T2, to: T1 });
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('期間の終わりが始まりより前');
    const unknown = await send({ kind: 'account', accountId: randomId(), from: T1, to: T2 });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('そのアカウントは見つかりません');
    const foreign = await send({ kind: 'company', companyId: randomId() });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toContain('この事務所に登録されていません');
    const badTime = await send({ kind: 'account', accountId: office.keyHolder.id, from: 'yesterday', to: T2 });
    expect(badTime.status).toBe(400);
    expect(badTime.text).toContain('日時を「年-月-日 時:分」の形で');
    const en = await agent.post('/office/oversight/breach?lang=en').type('form').send({ _csrf: csrf, kind: 'account', accountId: office.keyHolder.id, from: T2, to: T1 });
    expect(en.text).toContain('The end of the period is before');
  });

  it('when the director has no fresh step-up, staff or a client ask, scoping is refused', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: false });
    const page = await agent.get('/office/oversight/breach');
    expect(page.status).toBe(303);
    expect(page.headers.location).toMatch(/^\/office\/step-up\?next=/);
    const staff = (await signedInAgent(t.app, t.deps, office.keyHolder, { stepUp: true })).agent;
    expect((await staff.get('/office/oversight/breach')).status).toBe(403);
    const room = (await signedInAgent(t.app, t.deps, client)).agent;
    expect((await room.get('/office/oversight/breach')).status).toBe(404);
  });

  it('each scoping run leaves exactly one audit entry, with counts and no number', async () => {
    const before = await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'oversight.breach.scope').execute();
    const { agent, csrf } = await director();
    await agent.post('/office/oversight/breach').type('form').send({ _csrf: csrf, kind: 'location', location: 'vault' });
    const rows = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'oversight.breach.scope').orderBy('seq').execute();
    expect(rows.length).toBe(before.length + 1);
    const last = rows[rows.length - 1]!;
    expect(last.actor_id).toBe(office.director.id);
    expect(last.purpose).toBe('漏えい等の影響範囲の確認');
    expect(JSON.parse(last.details)).toMatchObject({ kind: 'location', people: held.a.length - 1 + held.b.length });
    expect(numbersIn(JSON.stringify(rows), NUMBERS)).toEqual([]);
  });
});
