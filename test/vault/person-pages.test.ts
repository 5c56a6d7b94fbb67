import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, type Office } from '../helpers/ingest-office.js';

/**
 * Issue 11, items 7, 8, 12: the vault's pages as staff read them. Two people
 * of the same name are told apart in the list (relation, employee code, the
 * file and row they came from, the masked last four digits); the reveal limit
 * says it is per staff member; the retention group says what it is.
 */
type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

describe('the vault’s person list and person page', () => {
  let t: TestApp;
  let office: Office;
  let agent: Agent;
  const n = syntheticMyNumbers(6, 1107);

  beforeAll(async () => {
    t = await makeTestApp();
    office = await arrangeOffice(t.deps);
    agent = (await signedInAgent(t.app, t.deps, office.director)).agent;
    // Two employees named 佐藤 健 (同姓同名), one with a spouse.
    const csv = rosterCsv([
      { code: 'K001', name: '佐藤 健', kana: 'サトウ ケン', number: n[0]!, spouse: { name: '佐藤 由美', number: n[1]! } },
      { code: 'K002', name: '佐藤 健', kana: 'サトウ ケン', number: n[2]! },
    ]);
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv), '名簿2026.csv');
    const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    const url = start.headers.location as string;
    const version = /name="version" value="(\d+)"/.exec((await agent.get(url)).text)![1]!;
    expect((await agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version })).status).toBe(303);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('the list tells two people of the same name apart: employee code, the masked last four digits, file and row; a relative names its employee', async () => {
    const res = await agent.get(`/office/companies/${office.company.id}/persons`);
    expect(res.status).toBe(200);
    const rows = [...res.text.matchAll(/<tr>\s*<td>佐藤 健[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(2);
    const [a, b] = rows.sort((x, y) => (x.includes('K001') ? -1 : y.includes('K001') ? 1 : 0));
    expect(a).toContain('<code>K001</code>');
    expect(a).toContain(`**** **** ${n[0]!.slice(8)}`);
    expect(a).toContain('名簿2026.csv');
    expect(a).toContain('CSV の 2 行目');
    expect(b).toContain('<code>K002</code>');
    expect(b).toContain(`**** **** ${n[2]!.slice(8)}`);
    expect(b).toContain('CSV の 3 行目');
    expect(res.text).toContain('本人: 佐藤 健');
    // Only the last four digits, never the number.
    for (const x of n.slice(0, 3)) expect(res.text).not.toContain(x);
  });

  it('the person page explains the retention group and says the reveal limit is per staff member', async () => {
    const person = await t.deps.db.selectFrom('persons').select(['id', 'cohort']).where('employee_code', '=', 'K002').executeTakeFirstOrThrow();
    const res = await agent.get(`/office/persons/${person.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`保存期間の区分（取り込んだ年）</th><td>${person.cohort} 年に取り込んだ記録`);
    expect(res.text).toContain('この値は保存期間の終了日ではありません');
    expect(res.text).toContain(`**** **** ${n[2]!.slice(8)}`);
    expect(res.text).toMatch(/担当者（あなた）1人につき1時間に[0-9]+件まで/);
    expect(res.text).toContain('従業員1人ごとの上限ではありません');
    expect(res.text).not.toContain('1人あたり');
  });

  it('the office menu has one place for new drops and an entry for the persons held; that entry counts them per company', async () => {
    const menu = await agent.get('/office');
    expect(menu.text.match(/href="\/office\/drops"/g)).toHaveLength(2); // the header and one card
    expect(menu.text).not.toContain('href="/office/inbox"');
    expect(menu.text).not.toContain('受け取ったファイル');
    expect(menu.text).toContain('href="/office/persons"');
    const holdings = await agent.get('/office/persons');
    expect(holdings.status).toBe(200);
    const row = /<tr>\s*<td>株式会社テスト商事[\s\S]*?<\/tr>/.exec(holdings.text)![0];
    expect(row).toContain('3 人');
    expect(row).toContain(`href="/office/companies/${office.company.id}/persons"`);
  });

  it('the request id and the drop id are two words: 問い合わせ番号 on the audit console, 受付番号 on the drop', async () => {
    const audit = await agent.get('/office/audit');
    expect(audit.text).toContain('問い合わせ番号');
    expect(audit.text).not.toContain('受付番号');
  });
});
