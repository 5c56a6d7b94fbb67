import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LEDGER_ACTIONS } from '../../server/oversight/ledger-entries.js';
import { reportDeparture } from '../../server/retention/service.js';
import { readNumbersForPurpose, revealNumber } from '../../server/vault/index.js';
import { csrfToken, makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, STAFF_PASSPHRASE, type Office, type Person } from '../helpers/ingest-office.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { numbersIn } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * The handling ledger (issue 16 §2) through HTTP: a company's files and its
 * record of handling, checked against what the test did and against the
 * audit trail row by row; another company's entries stay out; no number and
 * no held person's name anywhere in the page or the CSV.
 */
const NUMBERS = syntheticMyNumbers(8, 1602);
const A_PEOPLE: Person[] = [
  { code: 'A1', name: '青葉 一郎', kana: 'アオバ イチロウ', number: NUMBERS[0]!, spouse: { name: '青葉 花江', number: NUMBERS[1]! } },
  { code: 'A2', name: '青葉 二郎', kana: 'アオバ ジロウ', number: NUMBERS[2]! },
  { code: 'A3', name: '青葉 三郎', kana: 'アオバ サブロウ', number: NUMBERS[3]! },
];
const B_PEOPLE: Person[] = [{ code: 'B1', name: '白川 一郎', kana: 'シラカワ イチロウ', number: NUMBERS[4]! }];
const HELD_NAMES = [...A_PEOPLE, ...B_PEOPLE].flatMap((p) => [p.name, ...(p.spouse ? [p.spouse.name] : [])]);

/** RFC 4180 as csvLine writes it: every cell quoted, CRLF, cells may hold newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      (row = []), (cell = ''), i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe.each(testDatabases())('handling ledger (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let now = new Date('2026-03-02T01:00:00Z');
  let office: Office;
  let b: { id: string; accessKey: string; name: string };

  async function ingest(companyOffice: Pick<Office, 'company' | 'client'>, people: Person[]): Promise<void> {
    const drop = await arrangeDrop(t.deps, companyOffice, await encryptToOffice(t.deps.db, rosterCsv(people)));
    const { agent } = await signedInAgent(t.app, t.deps, office.director);
    const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    expect(start.status).toBe(303);
    const preview = await agent.get(start.headers.location as string);
    const version = /name="version" value="(\d+)"/.exec(preview.text)![1]!;
    const confirm = await agent.post(`${start.headers.location as string}/confirm`).type('form').send({ _csrf: csrf, version });
    expect(confirm.status).toBe(303);
  }

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {}, { clock: { now: () => now } });
    office = await arrangeOffice(t.deps);
    b = await makeCompany(t.deps, '白川工業株式会社');
    const bClient = await makeUser(t.deps, { role: 'client', companyId: b.id });
    await t.deps.db.insertInto('company_services').values([
      { company_id: office.company.id, service_id: 'shakai-hoken', set_at: now.toISOString(), set_by: office.director.id },
      { company_id: office.company.id, service_id: 'nencho', set_at: now.toISOString(), set_by: office.director.id },
    ]).execute();
    await ingest(office, A_PEOPLE);
    await ingest({ company: b, client: bClient }, B_PEOPLE);
    // A drop still waiting to be ingested: the 台帳's "in flight" row.
    await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(A_PEOPLE.slice(0, 1))));

    const persons = await t.deps.db.selectFrom('persons').select(['id', 'company_id']).orderBy('created_at').execute();
    const aIds = persons.filter((p) => p.company_id === office.company.id).map((p) => p.id);
    const bIds = persons.filter((p) => p.company_id === b.id).map((p) => p.id);
    const staff = { userId: office.holder.id, role: 'staff' as const };
    now = new Date('2025-05-01T00:00:00Z'); // before the default period (the past 12 months up to 2026-06-01)
    await revealNumber(t.deps, { personId: aIds[0]!, actor: staff, passphrase: STAFF_PASSPHRASE, purpose: 'health-pension' });
    now = new Date('2026-04-10T02:00:00Z');
    await revealNumber(t.deps, { personId: aIds[0]!, actor: staff, passphrase: STAFF_PASSPHRASE, purpose: 'health-pension' });
    await revealNumber(t.deps, { personId: aIds[2]!, actor: staff, passphrase: STAFF_PASSPHRASE, purpose: 'employment-insurance' });
    await readNumbersForPurpose(t.deps, { companyId: office.company.id, personIds: aIds, actor: staff, passphrase: STAFF_PASSPHRASE, purpose: 'withholding-slip' });
    await revealNumber(t.deps, { personId: bIds[0]!, actor: staff, passphrase: STAFF_PASSPHRASE, purpose: 'health-pension' });
    // 青葉 三郎 left in 2015: the director approves his disposal, the second key holder confirms, certificates are issued.
    const leaver = (await t.deps.db.selectFrom('persons').select('id').where('name', '=', '青葉 三郎').executeTakeFirstOrThrow()).id;
    await reportDeparture(t.deps, { userId: office.director.id, role: 'director', requestId: null }, { companyId: office.company.id, personId: leaver, on: '2015-03-31', via: 'office' });
    const director = (await signedInAgent(t.app, t.deps, office.director, { stepUp: true })).agent;
    const dCsrf = await csrfToken(director, `/office/companies/${office.company.id}/disposal`);
    const approved = await director.post(`/office/companies/${office.company.id}/disposal-batches`).type('form').send({ _csrf: dCsrf, person: [leaver], reason: 'retention-ended', reasonText: '', passphrase: DIRECTOR.keyPassphrase });
    expect(approved.status).toBe(303);
    const holder = (await signedInAgent(t.app, t.deps, office.holder, { stepUp: true })).agent;
    const hCsrf = await csrfToken(holder, approved.headers.location as string);
    expect((await holder.post(`${approved.headers.location as string}/confirm`).type('form').send({ _csrf: hCsrf, passphrase: STAFF_PASSPHRASE })).status).toBe(303);
    now = new Date('2026-06-01T03:00:00Z');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  async function asPlainStaff() {
    return (await signedInAgent(t.app, t.deps, office.plain)).agent;
  }

  it('when staff download the ledger CSV, its record matches the audit trail row for row, and the 台帳 names the files, 責任者 and 取扱担当者', async () => {
    const agent = await asPlainStaff();
    const res = await agent.get(`/office/companies/${office.company.id}/ledger.csv`).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(res.text.slice(1));
    expect(rows[0]!.slice(0, 3)).toEqual(['特定個人情報ファイル管理台帳・取扱状況の記録', '株式会社テスト商事', '対象期間: 2025-06-02 〜 2026-06-01（日本時間）']);

    // Part 1: the 台帳, one row per file.
    const regAt = rows.findIndex((r) => r[0] === '特定個人情報ファイル管理台帳');
    const header = rows[regAt + 1]!;
    expect(header.slice(0, 5)).toEqual(['特定個人情報ファイルの名称', '取扱事務（利用目的）', '記録される項目', '対象者・件数の内訳', '件数']);
    const col = (name: string) => header.indexOf(name);
    const register = rows.slice(regAt + 2, regAt + 6);
    const vault = register.find((r) => r[0] === '金庫（個人番号の保管）')!;
    expect(vault[col('件数')]).toBe('3');
    expect(vault[col('対象者・件数の内訳')]).toBe('保管中: 本人 2・配偶者 1・扶養親族 0\n廃棄済: 本人 1・配偶者 0・扶養親族 0');
    expect(vault[col('取扱事務（利用目的）')]).toBe('社会保険（健康保険・厚生年金）・年末調整・源泉徴収票');
    expect(vault[col('保存期間と根拠')]).toContain('扶養控除等申告書: 7年（翌年1月11日から） — 所得税法施行規則76条の3');
    expect(vault[col('保存期間と根拠')]).toContain('（根拠未確認）');
    expect(vault[col('事務取扱責任者')]).toBe(DIRECTOR.directorName);
    expect(vault[col('事務取扱担当者（鍵の保管者）')]).toBe(`${DIRECTOR.directorName}（所長）・佐藤 一郎（職員）`); // 鈴木 花子 holds no key
    expect(vault[col('保管場所')]).toContain(`番号の記録: サーバー内のフォルダ ${t.deps.config.storage.kind === 'local' ? t.deps.config.storage.vaultDir : ''}`);
    const db = t.deps.config.database;
    if (db.kind === 'postgres') {
      // host/database only: never the user name or the password of the URL
      const u = new URL(db.url);
      expect(vault[col('保管場所')]).toContain(`氏名・台帳: データベース（PostgreSQL）${u.host}${u.pathname}`);
      if (u.password) expect(res.text).not.toContain(u.password);
      if (u.username) expect(res.text).not.toContain(`${u.username}@`);
    } else expect(vault[col('保管場所')]).toContain(`氏名・台帳: データベース（SQLite）${db.file}`);
    const drops = register.find((r) => r[0] === '届いたファイル（取り込み前）')!;
    expect(drops[col('件数')]).toBe('1');
    expect(register.find((r) => r[0]!.startsWith('封入ファイル'))![col('件数')]).toBe('0');

    // Part 2: the 記録, exactly the company's handling entries of the period, oldest first.
    const recAt = rows.findIndex((r) => r[0] === '取扱状況の記録');
    const rh = rows[recAt + 1]!;
    expect(rh).toEqual(['監査ログの連番', '日時（日本時間）', '区分', '取扱いの内容', '結果', '取扱者', '役割', '利用目的', '人数', '対象（ファイル・封入ファイル・廃棄の番号）', '詳細', '廃棄の記録・証明書']);
    const record = rows.slice(recAt + 2).filter((r) => r.length > 1);
    const trail = await t.deps.db
      .selectFrom('audit_log')
      .select(['seq', 'action', 'company_id'])
      .where('company_id', '=', office.company.id)
      .where('action', 'in', Object.keys(LEDGER_ACTIONS))
      .where('at', '>=', '2025-06-01T15:00:00.000Z')
      .orderBy('seq')
      .execute();
    expect(record.map((r) => Number(r[0]))).toEqual(trail.map((e) => Number(e.seq)));
    expect(rows[recAt]![1]).toBe(`${trail.length} 件`);
    const r = (action: string) => record.filter((x) => x[rh.indexOf('取扱いの内容')] === action);
    const reveals = r('個人番号の表示');
    expect(reveals).toHaveLength(2); // the one of 2025-05-01 is before the period
    expect(reveals.map((x) => [x[5], x[6], x[7], x[8]])).toEqual([['佐藤 一郎', '職員', '健康保険・厚生年金保険', '1'], ['佐藤 一郎', '職員', '雇用保険', '1']]);
    expect(reveals[0]![1]).toBe('2026-04-10 11:00:00');
    expect(r('個人番号の一括読み出し').map((x) => [x[2], x[7], x[8]])).toEqual([['利用', '源泉徴収票・支払調書', '4']]);
    const commit = r('金庫への取り込み');
    expect(commit.map((x) => [x[2], x[5], x[8], x[10]])).toEqual([['取り込み', DIRECTOR.directorName, '4', '追加 4・重複 0・確認待ち 0・除外 0']]);
    const destroyed = r('取り込み後の原本の廃棄');
    expect(destroyed).toHaveLength(1);
    const disposal = await t.deps.db.selectFrom('disposals').select('id').where('company_id', '=', office.company.id).where('subject_kind', '=', 'drop').executeTakeFirstOrThrow();
    expect(destroyed[0]![2]).toBe('削除・廃棄');
    expect(destroyed[0]![11]).toContain(`廃棄記録 ${disposal.id}`);
    expect(destroyed[0]![9]).toBe(commit[0]![9]); // the same drop

    const disposed = r('保存期間の終了による廃棄');
    const batch = await t.deps.db.selectFrom('disposal_batches').select('id').where('company_id', '=', office.company.id).executeTakeFirstOrThrow();
    const certs = await t.deps.db.selectFrom('disposal_certificates').select('id').where('batch_id', '=', batch.id).orderBy('copy').execute();
    const batchRecord = await t.deps.db.selectFrom('disposals').select('id').where('subject_id', '=', batch.id).executeTakeFirstOrThrow();
    expect(disposed.map((x) => [x[2], x[5], x[8], x[9], x[10]])).toEqual([['削除・廃棄', '佐藤 一郎', '1', batch.id, '削除（すべての版）・破棄した鍵 0 個']]);
    expect(certs).toHaveLength(2);
    expect(disposed[0]![11]).toContain(`廃棄記録 ${batchRecord.id}`);
    expect(disposed[0]![11]).toContain(`廃棄証明書 ${certs.map((c) => c.id).join(' ')}`);

    // The other company: not its name, not one of its entries, not its people.
    const bSeqs = new Set((await t.deps.db.selectFrom('audit_log').select('seq').where('company_id', '=', b.id).execute()).map((e) => String(e.seq)));
    expect(bSeqs.size).toBeGreaterThan(0);
    expect(record.filter((x) => bSeqs.has(x[0]!))).toEqual([]);
    expect(res.text).not.toContain('白川');
    for (const name of HELD_NAMES) expect(res.text).not.toContain(name);
    expect(numbersIn(res.text, NUMBERS)).toEqual([]);
    expect(res.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the period is chosen, only its entries are listed; in English the headers are English', async () => {
    const agent = await asPlainStaff();
    const res = await agent.get(`/office/companies/${office.company.id}/ledger.csv?from=2025-04-01&to=2025-05-31&lang=en`).buffer(true);
    expect(res.status).toBe(200);
    const rows = parseCsv(res.text.slice(1));
    const recAt = rows.findIndex((x) => x[0] === 'Record of handling');
    expect(rows[recAt + 1]![0]).toBe('Audit seq');
    const record = rows.slice(recAt + 2).filter((x) => x.length > 1);
    // Only the reveal of 2025-05-01; its purpose in English, from the entry's purpose key.
    expect(record.map((x) => [x[2], x[3], x[6], x[7], x[8]])).toEqual([['used', 'My Number revealed', 'staff', "Health insurance and employees' pension", '1']]);
    expect(numbersIn(res.text, NUMBERS)).toEqual([]);
  });

  it('when staff open the ledger page, it shows the 台帳, the summary of the record and a link to the CSV for the same period', async () => {
    const agent = await asPlainStaff();
    const company = await agent.get(`/office/companies/${office.company.id}`);
    expect(company.text).toContain(`/office/companies/${office.company.id}/ledger`);
    const page = await agent.get(`/office/companies/${office.company.id}/ledger`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('特定個人情報ファイル管理台帳');
    expect(page.text).toContain('金庫（個人番号の保管）');
    expect(page.text).toContain('佐藤 一郎（職員）');
    expect(page.text).toContain(`/office/companies/${office.company.id}/ledger.csv?from=2025-06-02&amp;to=2026-06-01`);
    expect(page.text).toMatch(/個人番号の表示<\/td>\s*<td class="nowrap count">2<\/td>/);
    for (const name of HELD_NAMES) expect(page.text).not.toContain(name);
    expect(numbersIn(page.text, NUMBERS)).toEqual([]);
    expect(page.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the end is before the start, it answers 400 and says so in Japanese; a malformed day likewise', async () => {
    const agent = await asPlainStaff();
    for (const p of ['ledger', 'ledger.csv']) {
      const res = await agent.get(`/office/companies/${office.company.id}/${p}?from=2026-05-01&to=2026-04-01`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('終了日（2026-04-01）が開始日（2026-05-01）より前になっています。期間を確かめてください。');
    }
    const bad = await agent.get(`/office/companies/${office.company.id}/ledger?from=2026-02-30`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('日付を「年-月-日」の形（例: 2026-04-01）で入力してください。');
    // The same checks as the custody report's (ledger-schema.ts): a start after today is refused, an end after today counts up to today and says so.
    const later = await agent.get(`/office/companies/${office.company.id}/ledger?from=2026-07-01`);
    expect(later.status).toBe(400);
    expect(later.text).toContain('開始日（2026-07-01）が今日（2026-06-01）より後になっています。');
    const clamped = await agent.get(`/office/companies/${office.company.id}/ledger?from=2026-05-01&to=2026-12-31`);
    expect(clamped.status).toBe(200);
    expect(clamped.text).toContain('終了日 2026-12-31 は今日より後のため、今日（2026-06-01）までを対象にしています。');
    expect(clamped.text).toContain(`/office/companies/${office.company.id}/ledger.csv?from=2026-05-01&amp;to=2026-06-01`);
  });

  it('when the company is unknown it is not found, and a client never reaches an office ledger', async () => {
    const agent = await asPlainStaff();
    expect((await agent.get('/office/companies/no-such-company/ledger')).status).toBe(404);
    expect((await agent.get('/office/companies/no-such-company/ledger.csv')).status).toBe(404);
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    expect((await client.get(`/office/companies/${office.company.id}/ledger.csv`)).status).toBe(404);
  });

  it('nothing the app logged holds a number', () => {
    expect(numbersIn(t.logs.text, NUMBERS)).toEqual([]);
  });
});
