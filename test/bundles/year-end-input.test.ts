import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { everyCell, numbersIn, putInVault } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { sjis, unifiedCells } from './fixtures.js';

/**
 * The year-end input through HTTP (issue 15 §1–2): the client marks a drop
 * as 年末調整データ, a key holder opens it with the key passphrase, and the
 * preview shows counts per destination with the problems first; staff
 * resolve the persons kinko could not match. No number is shown, logged or
 * stored on the way — a number the file carried is only compared.
 */
describe.each(testDatabases())('year-end input: mark → open → match → resolve (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  let otherClient: MadeUser;
  const numbers = syntheticMyNumbers(8, 1515);
  const [yamada, hanako, sato, tasha, , , , stranger] = numbers as [string, string, string, string, string, string, string, string];

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    office = await arrangeOffice(t.deps);
    const unlock = { unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase };
    await putInVault(t.deps, {
      companyId: office.company.id, ...unlock,
      employees: [
        { number: yamada, name: '山田 太郎', employeeCode: '1001', dependents: [{ number: hanako, name: '山田 花子', relation: '配偶者' }] },
        { number: sato, name: '佐藤 次郎', employeeCode: '1002' },
      ],
    });
    const other = await makeCompany(t.deps, '株式会社よそ');
    otherClient = await makeUser(t.deps, { role: 'client', companyId: other.id });
    await putInVault(t.deps, { companyId: other.id, ...unlock, employees: [{ number: tasha, name: '他社 太郎', employeeCode: '5555' }] });
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  const TEMPLATE_HEAD = '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ';
  const template = [
    TEMPLATE_HEAD,
    '1001,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,東京都府中市宮町１－２－３,6000000,100000,132063,いいえ,いいえ,はい,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ',
    ',佐藤　次郎,ｻﾄｳ ｼﾞﾛｳ,東京都千代田区丸の内１－１－１,3000000,50000,131016,いいえ,いいえ,はい,,',
    '7777,無名　花子,ﾑﾒｲ ﾊﾅｺ,東京都府中市宮町２－２－２,2000000,10000,132063,いいえ,いいえ,はい,,',
    '5555,他社　太郎,ﾀｼｬ ﾀﾛｳ,東京都府中市宮町３－３－３,1000000,10000,132063,いいえ,いいえ,はい,,',
  ].join('\r\n') + '\r\n';

  async function markedDrop(bytes: Buffer, nenbun = '7') {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, bytes), '年末調整.csv');
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    const base = `/room/${office.company.accessKey}/drops/${drop.id}/year-end`;
    const form = await agent.get(base);
    expect(form.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(form.text)![1]!;
    const res = await agent.post(base).type('form').send({ _csrf: csrf, nenbun });
    expect(res.status).toBe(303);
    return { drop, agent, base };
  }

  async function asHolder() {
    return (await signedInAgent(t.app, t.deps, office.holder)).agent;
  }

  async function open(dropId: string, passphrase = STAFF_PASSPHRASE) {
    const agent = await asHolder();
    const csrf = await csrfToken(agent, `/office/year-end/${dropId}`);
    const res = await agent.post(`/office/year-end/${dropId}/open`).type('form').send({ _csrf: csrf, passphrase });
    return { agent, csrf, res };
  }

  const count = (html: string, name: string) => Number(new RegExp(`data-count="${name}">(\\d+)<`).exec(html)?.[1] ?? NaN);

  it('when the client marks its drop and a key holder opens it, the preview counts each destination and lists the problems first', async () => {
    const { drop, agent: client, base } = await markedDrop(Buffer.from(template, 'utf8'));
    expect((await client.get(`${base}?saved=1`)).text).toContain('令和7年分の年末調整データとして事務所に知らせました');

    const { agent, res } = await open(drop.id);
    expect(res.status).toBe(303);
    const page = await agent.get(`/office/year-end/${drop.id}`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toContain('no-store');
    expect(count(page.text, 'rows')).toBe(4);
    expect(count(page.text, 'tax-office')).toBe(1); // only 山田 is over 500万 (年調済, not 役員/士業)
    expect(count(page.text, 'municipal-13206')).toBe(3);
    expect(count(page.text, 'municipal-13101')).toBe(1);
    expect(count(page.text, 'self-copy')).toBe(4);
    // Problems first: the unmatched, the other company's person and the name-only row come before 山田's clean row.
    const at = (s: string) => page.text.indexOf(s);
    expect(at('無名　花子')).toBeLessThan(at('山田　太郎'));
    expect(at('他社　太郎')).toBeLessThan(at('山田　太郎'));
    expect(page.text).toContain('別の会社で預かっている人です');
    expect(page.text).toContain('氏名だけが一致する人がいます');
    expect(page.text).toContain('受給者番号で一致');
    expect(page.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
    expect(numbersIn(page.text, numbers)).toEqual([]);

    const en = await agent.get(`/office/year-end/${drop.id}`).set('Cookie', 'kinko_lang=en').query({ lang: 'en' });
    expect(en.status).toBe(200);
  });

  it('when staff link the name-only row and record 番号未提供 for the unmatched one, both are resolved; a note with twelve digits is refused', async () => {
    const { drop } = await markedDrop(Buffer.from(template, 'utf8'));
    const { agent, csrf } = await open(drop.id);
    const before = (await agent.get(`/office/year-end/${drop.id}`)).text;
    const satoOption = /name="personId">\s*<option value="([^"]+)">佐藤 次郎/.exec(before);
    expect(satoOption).not.toBeNull();
    const resolve = (body: Record<string, string>) => agent.post(`/office/year-end/${drop.id}/resolve`).type('form').send({ _csrf: csrf, ...body });

    const linked = await resolve({ line: '3', subject: 'self', action: 'link', personId: satoOption![1]! });
    expect(linked.status).toBe(303);
    expect(linked.headers.location).toContain('saved=1');

    const refused = await resolve({ line: '4', subject: 'self', action: 'not-provided', note: `番号は ${stranger} と聞いた` });
    expect(refused.headers.location).toContain('error=noteDigits');
    expect((await agent.get(refused.headers.location as string)).text).toContain('理由に12桁の数字が含まれています');
    const empty = await resolve({ line: '4', subject: 'self', action: 'not-provided', note: ' ' });
    expect(empty.headers.location).toContain('error=noteRequired');
    const noted = await resolve({ line: '4', subject: 'self', action: 'not-provided', note: '2025-11-01 書面で依頼、回答なし' });
    expect(noted.headers.location).toContain('saved=1');

    const after = (await agent.get(`/office/year-end/${drop.id}`)).text;
    expect(after).toContain('担当者が結び付け済み');
    expect(after).toContain('番号未提供（記録済み）');
    expect(after).toContain('2025-11-01 書面で依頼、回答なし');
    const trail = await t.deps.db.selectFrom('audit_log').select(['action']).where('action', 'like', 'bundles.input.%').execute();
    expect(new Set(trail.map((r) => r.action))).toEqual(new Set(['bundles.input.mark', 'bundles.input.open', 'bundles.input.resolve']));
  });

  it('when a 統一CSV carries numbers, they are compared with the vault and stored nowhere: an agreeing one is counted, a differing one is a problem', async () => {
    const cells = unifiedCells({ 14: '山田　太郎', 138: '1001', 95: yamada, 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00', 99: stranger });
    const { drop } = await markedDrop(sjis([cells]));
    const { agent, res } = await open(drop.id);
    expect(res.status).toBe(303);
    const page = (await agent.get(`/office/year-end/${drop.id}`)).text;
    expect(page).toContain('ファイルの番号と金庫の番号が一致 1件');
    expect(page).toContain('金庫に預かっている番号と違います');
    expect(numbersIn(page, numbers)).toEqual([]);
    expect(numbersIn(t.logs.text, numbers)).toEqual([]);
    const cellsInDb = await everyCell(t.deps);
    expect(cellsInDb.filter((c) => numbersIn(c.text, numbers).length > 0)).toEqual([]);
  });

  it.each([
    ['UTF-8 where Shift_JIS is expected', () => Buffer.from(unifiedCells().join(',') + '\r\n', 'utf8'), 'UTF-8 で保存されています'],
    ['a header row', () => sjis([unifiedCells().map((_, i) => (i === 0 ? '法定資料の種類' : i === 16 ? '支払金額' : `項目${i + 1}`))]), '見出し行です'],
    ['the wrong column count', () => sjis([unifiedCells({}, 146)]), '項目数が 146 です'],
    ['an unknown municipality code', () => sjis([unifiedCells({ 139: '132064' })]), '検査数字が合いません'],
    ['an amount that is not a number', () => sjis([unifiedCells(), unifiedCells({ 17: '４００万' })]), '17列目（支払金額）は数字のみの項目'],
  ])('when the file has %s, the page says so in words and nothing is matched from it', async (_, bytes, message) => {
    const { drop } = await markedDrop(bytes());
    const { agent } = await open(drop.id);
    const page = (await agent.get(`/office/year-end/${drop.id}`)).text;
    expect(page).toContain(message);
    expect(page).toContain('問題が残っているため、まだ作成できません');
  });

  it('when another company’s client tries to mark the drop, it is a 404 like a random id; a client cannot reach the office page', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, Buffer.from(template, 'utf8')));
    const { agent } = await signedInAgent(t.app, t.deps, otherClient);
    const mine = await agent.get(`/room/${office.company.accessKey}/drops/${drop.id}/year-end`);
    expect(mine.status).toBe(404);
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    expect((await client.get(`/office/year-end/${drop.id}`)).status).toBe(404);
  });

  it('when the passphrase is wrong, or the staff member holds no key, the page says so and nothing is opened', async () => {
    const { drop } = await markedDrop(Buffer.from(template, 'utf8'));
    const wrong = await open(drop.id, 'not-the-passphrase');
    expect(wrong.res.status).toBeGreaterThanOrEqual(400);
    expect(wrong.res.text).not.toContain('data-count="rows"');
    const { agent } = await signedInAgent(t.app, t.deps, office.plain);
    const csrf = await csrfToken(agent, `/office/year-end/${drop.id}`);
    const plain = await agent.post(`/office/year-end/${drop.id}/open`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(plain.text).not.toContain('data-count="rows"');
  });
});
