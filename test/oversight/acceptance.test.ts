import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportDeparture, setCompanyServices } from '../../server/retention/service.js';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { binaryBody } from '../helpers/binary-body.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { FakeClock } from '../helpers/clock.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, STAFF_PASSPHRASE, type Office, type Person } from '../helpers/ingest-office.js';
import { oathCode, roomLogin } from '../helpers/login.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { numbersIn } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * Issue 16, done-when: a synthetic office with three clients lives through a
 * year — roster ingests, reveals, a year-end bundle built and downloaded, a
 * disposal batch with its certificate, room logins good and bad — all
 * through HTTP, on a fake clock. Then the client downloads its signed
 * custody report from the room and every count is the count of what the
 * test did; the director scopes "the key holder between T1 and T2" and "the
 * drops bucket" and gets the people, states and verdicts the test worked
 * out itself. Every page, CSV and PDF (via pdftotext) the year produced is
 * scanned for the numbers: none.
 */
const N = syntheticMyNumbers(20, 1619);
const JST = (s: string) => Date.parse(`${s}:00+09:00`);
const T1 = '2026-03-01T09:00';
const T2 = '2026-04-01T09:00';

describe.each(testDatabases())('a year at a synthetic office on $name: custody report and breach scoping against the test\'s own truth', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  let dir: string;
  const clock = new FakeClock(JST('2026-01-05T09:00'));
  const co: Record<'a' | 'b' | 'c', { id: string; name: string; accessKey: string }> = {} as never;
  const clients: Record<'a' | 'b' | 'c', MadeUser> = {} as never;
  /** Everything the year showed anyone, scanned at the end. */
  const outputs: Array<{ what: string; text: string }> = [];
  /** The truth for client A, counted as the test acts. */
  const truthA = { received: 0, ingested: 0, dropsDestroyed: 0, reveals: 0, logins: 0, failed: 0, bundlesBuilt: 0, bundlesDownloaded: 0, certificates: 0 };
  /** People the key holder saw in clear inside [T1, T2): company + number. */
  const plainInWindow = new Map<string, { company: 'a' | 'b' | 'c'; relation: 'self' | 'spouse' }>();
  let holderRevealsInWindow = 0;
  /** One reveal answer (the page that may show a number): the scanner must find it there. */
  let revealPage = '';
  /** Files in the drops bucket never read: per company. */
  const unread: Record<'a' | 'b' | 'c', number> = { a: 0, b: 0, c: 0 };

  const at = (s: string) => void (clock.t = JST(s) + 1000);
  const keep = (what: string, text: string) => void outputs.push({ what, text });

  const rosterA1: Person[] = [
    { code: '1001', name: '山田 太郎', kana: 'ヤマダ タロウ', number: N[0]!, spouse: { name: '山田 花子', number: N[1]! } },
    { code: '1002', name: '佐藤 次郎', kana: 'サトウ ジロウ', number: N[2]! },
    { code: '1003', name: '鈴木 三郎', kana: 'スズキ サブロウ', number: N[3]!, spouse: { name: '鈴木 良子', number: N[4]! } },
  ];
  const rosterA2: Person[] = [
    { code: '1004', name: '高橋 四郎', kana: 'タカハシ シロウ', number: N[5]! },
    { code: '1005', name: '田中 五郎', kana: 'タナカ ゴロウ', number: N[6]! },
  ];
  const rosterB: Person[] = [
    { code: 'B01', name: '白川 一郎', kana: 'シラカワ イチロウ', number: N[10]!, spouse: { name: '白川 春子', number: N[11]! } },
    { code: 'B02', name: '白川 二郎', kana: 'シラカワ ジロウ', number: N[12]! },
  ];
  const rosterC: Person[] = [
    { code: 'C01', name: '緑町 一郎', kana: 'ミドリマチ イチロウ', number: N[15]! },
    { code: 'C02', name: '緑町 二郎', kana: 'ミドリマチ ジロウ', number: N[16]! },
  ];
  const yearEndTemplate = [
    '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ',
    '1001,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,東京都府中市宮町１－２－３,6000000,100000,132063,いいえ,いいえ,はい,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ',
    '1002,佐藤　次郎,ｻﾄｳ ｼﾞﾛｳ,東京都千代田区丸の内１－１－１,3000000,50000,131016,いいえ,いいえ,はい,,',
  ].join('\r\n') + '\r\n';

  async function as(user: MadeUser | Office['director'], stepUp = false) {
    return (await signedInAgent(t.app, t.deps, user as MadeUser, { stepUp })).agent;
  }

  /** The client drops a file: ciphertext to the office key, as the room leaves it. */
  async function clientDrops(k: 'a' | 'b' | 'c', plain: Buffer, name: string) {
    const d = await arrangeDrop(t.deps, { company: co[k], client: clients[k] }, await encryptToOffice(t.deps.db, plain), name);
    if (k === 'a') truthA.received++;
    return d.id;
  }

  /** A key holder ingests a roster through the drop page, preview and confirm. */
  async function ingest(k: 'a' | 'b' | 'c', roster: Person[], who: 'holder' | 'director') {
    const dropId = await clientDrops(k, rosterCsv(roster), '社員名簿.csv');
    const agent = await as(who === 'holder' ? office.holder : office.director);
    const token = await csrfToken(agent, `/office/drops/${dropId}`);
    const start = await agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: token, passphrase: who === 'holder' ? STAFF_PASSPHRASE : DIRECTOR.keyPassphrase });
    expect(start.status).toBe(303);
    const preview = await agent.get(start.headers.location!);
    keep('ingest preview', preview.text);
    const version = /name="version" value="(\d+)"/.exec(preview.text)![1]!;
    const confirm = await agent.post(`${start.headers.location}/confirm`).type('form').send({ _csrf: token, version });
    expect(confirm.status).toBe(303);
    if (k === 'a') (truthA.ingested++, truthA.dropsDestroyed++);
  }

  async function personId(companyId: string, name: string): Promise<string> {
    return (await t.deps.db.selectFrom('persons').select('id').where('company_id', '=', companyId).where('name', '=', name).executeTakeFirstOrThrow()).id;
  }

  /** A purpose-bound reveal through the person page (the one page allowed to show the number: not kept for the scan). */
  async function reveal(who: 'holder' | 'director', k: 'a' | 'b' | 'c', name: string, number: string, relation: 'self' | 'spouse') {
    const agent = await as(who === 'holder' ? office.holder : office.director);
    const id = await personId(co[k].id, name);
    const token = await csrfToken(agent, `/office/persons/${id}`);
    const res = await agent.post(`/office/persons/${id}/reveal`).type('form').send({ _csrf: token, purpose: 'health-pension', passphrase: who === 'holder' ? STAFF_PASSPHRASE : DIRECTOR.keyPassphrase });
    expect(res.status).toBe(200);
    expect(res.text).toContain(number.slice(-4));
    revealPage ||= res.text;
    if (k === 'a' && who === 'holder') truthA.reveals++;
    const now = clock.now().getTime();
    if (who === 'holder' && now >= JST(T1) && now < JST(T2)) {
      holderRevealsInWindow++;
      plainInWindow.set(`${k}:${number}`, { company: k, relation });
    }
  }

  async function clientLogin(k: 'a' | 'b' | 'c', ok: boolean) {
    clock.nextStep();
    const agent = (await import('supertest')).default.agent(t.app);
    const u = clients[k];
    const res = await roomLogin(agent, co[k].accessKey, { loginId: u.loginId, password: ok ? u.password : `${u.password}x`, totp: oathCode(u.totpSecret, clock.now()) });
    if (ok) expect(res.status).toBe(303);
    else expect(res.status).toBeGreaterThanOrEqual(400);
    if (k === 'a') ok ? truthA.logins++ : truthA.failed++;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-year-'));
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock });
    office = await arrangeOffice(t.deps);
    co.a = office.company;
    clients.a = office.client;
    co.b = await makeCompany(t.deps, '白川工業株式会社');
    co.c = await makeCompany(t.deps, '緑町運輸株式会社');
    clients.b = await makeUser(t.deps, { role: 'client', companyId: co.b.id });
    clients.c = await makeUser(t.deps, { role: 'client', companyId: co.c.id });

    // January: every client sends its roster; the key holder and the director take them in.
    at('2026-01-13T10:00');
    await ingest('a', rosterA1, 'holder');
    await ingest('b', rosterB, 'director');
    await ingest('c', rosterC, 'holder');
    // February: A's contact signs in twice, mistypes once; B's once.
    at('2026-02-02T09:00');
    await clientLogin('a', true);
    await clientLogin('a', false);
    await clientLogin('a', true);
    await clientLogin('b', true);
    // Just before the window: outside [T1, T2).
    at('2026-02-27T15:00');
    await reveal('holder', 'a', '佐藤 次郎', N[2]!, 'self');
    // March, inside the window.
    at('2026-03-02T10:00');
    await reveal('holder', 'a', '山田 太郎', N[0]!, 'self');
    at('2026-03-03T10:00');
    await reveal('holder', 'a', '山田 花子', N[1]!, 'spouse');
    at('2026-03-04T10:00');
    await reveal('holder', 'a', '山田 太郎', N[0]!, 'self'); // the same person again: counted once
    at('2026-03-05T10:00');
    await reveal('holder', 'b', '白川 一郎', N[10]!, 'self');
    at('2026-03-06T10:00');
    await reveal('director', 'c', '緑町 一郎', N[15]!, 'self'); // another account
    at('2026-04-01T09:00');
    await reveal('holder', 'b', '白川 二郎', N[12]!, 'self'); // exactly at T2: outside
    // June: A sends new hires.
    at('2026-06-10T10:00');
    await ingest('a', rosterA2, 'holder');
    // Files nobody has opened yet.
    at('2026-09-15T10:00');
    await clientDrops('c', Buffer.from('未確認のファイル'), '追加.csv');
    unread.c++;
    at('2026-11-04T10:00');
    await clientDrops('a', Buffer.from('未確認のファイル'), '追加.csv');
    unread.a++;

    // November: 田中 五郎 left long ago; the director approves his disposal, the key holder confirms.
    at('2026-11-20T10:00');
    const acting = { userId: office.director.id, role: 'director' as const, requestId: null };
    await setCompanyServices(t.deps, acting as never, { companyId: co.a.id, serviceIds: ['shakai-hoken'] });
    await reportDeparture(t.deps, acting as never, { companyId: co.a.id, personId: await personId(co.a.id, '田中 五郎'), on: '2015-03-31', via: 'office' });
    const dAgent = await as(office.director, true);
    const dToken = await csrfToken(dAgent, `/office/companies/${co.a.id}/disposal`);
    const approved = await dAgent.post(`/office/companies/${co.a.id}/disposal-batches`).type('form').send({ _csrf: dToken, person: [await personId(co.a.id, '田中 五郎')], reason: 'retention-ended', reasonText: '', passphrase: DIRECTOR.keyPassphrase });
    expect(approved.status).toBe(303);
    const batchUrl = approved.headers.location!;
    const hAgent = await as(office.holder, true);
    const hToken = await csrfToken(hAgent, batchUrl);
    expect((await hAgent.post(`${batchUrl}/confirm`).type('form').send({ _csrf: hToken, passphrase: STAFF_PASSPHRASE })).status).toBe(303);
    truthA.certificates++;

    // December: A sends its pay data; the key holder builds the bundles; A downloads the 税務署 one.
    at('2026-12-07T10:00');
    const payDrop = await clientDrops('a', Buffer.from(yearEndTemplate, 'utf8'), '年末調整.csv');
    unread.a++; // pay data is opened for the build, never ingested: it stays in the drops bucket
    const room = await as(clients.a);
    const mark = `/room/${co.a.accessKey}/drops/${payDrop}/year-end`;
    const mToken = await csrfToken(room, mark);
    expect((await room.post(mark).type('form').send({ _csrf: mToken, nenbun: '7' })).status).toBe(303);
    const builder = await as(office.holder, true);
    const page = `/office/year-end/${payDrop}`;
    const bToken = await csrfToken(builder, page);
    expect((await builder.post(`${page}/open`).type('form').send({ _csrf: bToken, passphrase: STAFF_PASSPHRASE })).status).toBe(303);
    const built = await builder.post(`${page}/build`).type('form').send({ _csrf: bToken, passphrase: STAFF_PASSPHRASE });
    expect(built.status).toBe(200);
    // 税務署 (山田: 年末調整済, over 500万円), 府中市 and 千代田区 (each one's residence), and the 本人交付 copies.
    truthA.bundlesBuilt = 4;
    at('2026-12-10T10:00');
    const client = await as(clients.a);
    const list = await client.get(`/room/${co.a.accessKey}/bundles`);
    keep('room bundles', list.text);
    const tax = /\/bundles\/([A-Za-z0-9_-]+)\/download/.exec(list.text)![1]!;
    const dlToken = await csrfToken(client, `/room/${co.a.accessKey}/bundles`);
    const dl = await client.post(`/room/${co.a.accessKey}/bundles/${tax}/download`).type('form').send({ _csrf: dlToken });
    expect(dl.status).toBe(303);
    truthA.bundlesDownloaded = 1;

    // The director records the office's safeguards and A's 許諾 (database and mail; storage not yet).
    at('2026-12-15T10:00');
    const dir2 = await as(office.director, true);
    const sToken = await csrfToken(dir2, '/office/oversight/safeguards');
    expect((await dir2.post('/office/oversight/safeguards').type('form').send({ _csrf: sToken, policy: '番号法に定める事務に限って取り扱います。', rules: '取得から廃棄まで手順を定めています。', hosting: '事務所内のサーバー' })).status).toBe(303);
    expect((await dir2.post('/office/oversight/safeguards/approvals').type('form').send({ _csrf: sToken, companyId: co.a.id, database: '2026-01-05', storage: '', mail: '2026-01-05' })).status).toBe(303);
    keep('safeguards page', (await dir2.get('/office/oversight/safeguards')).text);
    at('2026-12-20T10:00');
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function pdfText(bytes: Buffer, name: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout;
  }

  /** The CSV's rows as cells (csvLine quotes every cell). */
  function rows(csv: string): string[][] {
    return csv.replace(/^\uFEFF/, '').trim().split(/\r?\n/).map((l) => l.slice(1, -1).split('","'));
  }
  const cell = (r: string[][], a: string, b: string, c?: string) => {
    const row = r.find((x) => x[0] === a && x[1] === b && (c === undefined || x[2] === c));
    if (!row) throw new Error(`no row ${a}/${b}/${c ?? ''}`);
    return row[3]!;
  };

  it('when client A downloads its signed custody report from the room, every count is what the office did for it that year', async () => {
    const holder = await as(office.holder);
    const page = `/office/companies/${co.a.id}/custody-reports`;
    const iToken = await csrfToken(holder, page);
    const issued = await holder.post(page).type('form').send({ _csrf: iToken, passphrase: STAFF_PASSPHRASE, from: '2026-01-01', to: '2026-12-20' });
    expect(issued.status).toBe(303);
    keep('office custody page', (await holder.get(page)).text);

    const client = await as(clients.a);
    const list = await client.get(`/room/${co.a.accessKey}/custody-reports`);
    keep('room custody page', list.text);
    const id = /data-report="([^"]+)"/.exec(list.text)![1]!;
    const get = async (f: string) => (await client.get(`/room/${co.a.accessKey}/custody-reports/${id}/${f}`).buffer(true).parse(binaryBody)).body as Buffer;
    const csv = (await get('report.csv')).toString('utf8');
    const pdf = pdfText(await get('report.pdf'), 'report.pdf');
    keep('signed custody CSV', csv);
    keep('signed custody PDF', pdf);
    const r = rows(csv);

    const selves = rosterA1.length + rosterA2.length;
    const spouses = [...rosterA1, ...rosterA2].filter((p) => p.spouse).length;
    expect(Number(cell(r, '保管している人', '本人', '保管中'))).toBe(selves - 1);
    expect(Number(cell(r, '保管している人', '本人', '廃棄済'))).toBe(1);
    expect(Number(cell(r, '保管している人', '配偶者', '保管中'))).toBe(spouses);
    expect(Number(cell(r, '保管している人', '合計'))).toBe(selves + spouses);
    expect(Number(cell(r, '届いたファイル', '受領'))).toBe(truthA.received);
    expect(Number(cell(r, '届いたファイル', '取り込み'))).toBe(truthA.ingested);
    expect(Number(cell(r, '届いたファイル', '原本の廃棄'))).toBe(truthA.dropsDestroyed);
    const uses = r.filter((x) => x[0] === '番号の利用');
    const use = (purpose: RegExp, kind: string) => uses.filter((x) => purpose.test(x[1]!) && x[2] === kind).reduce((s, x) => s + Number(x[3]), 0);
    expect(use(/健康保険/, "職員 表示")).toBe(truthA.reveals);
    expect(use(/./, '所長 表示')).toBe(0);
    expect(use(/源泉徴収/, '職員 一括読み出し')).toBe(1); // the build read the 税務署's people once
    expect(use(/給与支払報告/, '職員 一括読み出し')).toBe(1); // and the 市区町村' people once
    expect(Number(cell(r, 'ルーム', 'ログイン'))).toBe(truthA.logins);
    expect(Number(cell(r, 'ルーム', 'ログイン失敗'))).toBe(truthA.failed);
    expect(Number(cell(r, '封入ファイル', '作成'))).toBe(truthA.bundlesBuilt);
    expect(Number(cell(r, '封入ファイル', 'ダウンロード'))).toBe(truthA.bundlesDownloaded);
    expect(Number(cell(r, '廃棄証明書', '通数'))).toBe(truthA.certificates);
    expect(r.filter((x) => x[0] === '廃棄の記録')).toHaveLength(truthA.dropsDestroyed + 1); // two originals and the batch
    expect(cell(r, '再委託', 'データベース')).toBe('許諾日 2026-01-05');
    expect(cell(r, '再委託', 'ファイル・番号の保存先')).toBe('未許諾');
    expect(Number(cell(r, '事務取扱担当者', '事務所の鍵を持つ人'))).toBe(2); // the director and the designated key holder
    // The PDF says the same.
    expect(pdf).toContain(`合計: ${selves + spouses} 人`);
    expect(pdf).toContain(`受領 ${truthA.received} 件 / 取り込み ${truthA.ingested} 件 / 原本の廃棄 ${truthA.dropsDestroyed} 件`);
    expect(pdf).toContain(`ログイン ${truthA.logins} 回、失敗 ${truthA.failed} 回`);
    expect(pdf).toContain(`作成 ${truthA.bundlesBuilt} 件 / ダウンロード ${truthA.bundlesDownloaded} 件`);
    expect(pdf).toContain('未許諾');
    // Nothing of the other clients.
    for (const other of ['白川', '緑町']) expect(csv + pdf).not.toContain(other);

    // The rest of what the room offers: the unsigned tally and the certificate.
    keep('room tally CSV', (await client.get(`/room/${co.a.accessKey}/custody-report.csv`)).text);
    keep('room tally PDF', pdfText((await client.get(`/room/${co.a.accessKey}/custody-report.pdf`).buffer(true).parse(binaryBody)).body as Buffer, 'tally.pdf'));
    const certs = await client.get(`/room/${co.a.accessKey}/certificates`);
    keep('room certificates', certs.text);
    const cert = /certificates\/([^/"]+)\/certificate\.pdf"/.exec(certs.text)![1]!;
    keep('certificate PDF', pdfText((await client.get(`/room/${co.a.accessKey}/certificates/${cert}/certificate.pdf`).buffer(true).parse(binaryBody)).body as Buffer, 'cert.pdf'));
    const ledger = await holder.get(`/office/companies/${co.a.id}/ledger.csv?from=2026-01-01&to=2026-12-20`);
    expect(ledger.status).toBe(200);
    keep('ledger CSV', ledger.text);
  }, 120_000);

  function count(html: string, attr: string): number {
    const m = new RegExp(`${attr}>([^<]*)<`).exec(html);
    if (!m) throw new Error(`no ${attr} in page`);
    return Number(/\d+/.exec(m[1]!)![0]);
  }
  const companyRow = (html: string, id: string) => new RegExp(`<tr data-company="${id}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';

  it('when the director scopes the key holder between T1 and T2, the people seen in clear come out once each, per client, with the verdict', async () => {
    const agent = await as(office.director, true);
    const token = await csrfToken(agent, '/office/oversight/breach');
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: token, kind: 'account', accountId: office.holder.id, from: T1, to: T2 });
    expect(res.status).toBe(200);
    keep('breach: account', res.text);
    const people = [...plainInWindow.values()];
    expect(count(res.text, 'data-count="people"')).toBe(people.length);
    expect(count(res.text, 'data-state="plain"')).toBe(people.length);
    for (const k of ['a', 'b'] as const) expect(count(companyRow(res.text, co[k].id), 'data-count="people"')).toBe(people.filter((p) => p.company === k).length);
    expect(companyRow(res.text, co.c.id)).toBe('');
    expect(count(res.text, 'data-relation="self"')).toBe(people.filter((p) => p.relation === 'self').length);
    expect(count(res.text, 'data-relation="spouse"')).toBe(people.filter((p) => p.relation === 'spouse').length);
    expect(res.text).toMatch(new RegExp(`data-evidence="reveals">[^<]*${holderRevealsInWindow} 回`));
    // Under 100 people and no 不正目的 ticked: not a report by headcount.
    expect(res.text).toContain('data-verdict="no"');
    expect(res.text).toContain('data-reason="underLimit"');
  });

  it('when the director scopes the drops bucket, no person is in an ingested original (all destroyed) and the unread files are counted per client', async () => {
    const agent = await as(office.director, true);
    const token = await csrfToken(agent, '/office/oversight/breach');
    const res = await agent.post('/office/oversight/breach').type('form').send({ _csrf: token, kind: 'location', location: 'drops' });
    expect(res.status).toBe(200);
    keep('breach: drops', res.text);
    expect(count(res.text, 'data-count="people"')).toBe(0);
    expect(count(res.text, 'data-count="unreadDrops"')).toBe(unread.a + unread.b + unread.c);
    expect(companyRow(res.text, co.b.id)).toBe('');
    // People inside unread files are unknown: the director decides.
    expect(res.text).toMatch(/<p class="notice" data-verdict="decide">/);
    expect(res.text).toContain('data-reason="unreadDrops"');
  });

  it('no page, CSV or PDF of the year holds a number, in any written form', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(17);
    // The scanner does find a number where one is shown on purpose.
    expect(numbersIn(revealPage, N)).not.toEqual([]);
    for (const o of outputs) {
      expect({ what: o.what, found: numbersIn(o.text, N) }).toEqual({ what: o.what, found: [] });
      expect({ what: o.what, twelve: STANDALONE_TWELVE_DIGITS.test(o.text) }).toEqual({ what: o.what, twelve: false });
    }
  });
});
