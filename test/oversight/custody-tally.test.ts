import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Agent } from 'supertest';
import { revealNumber } from '../../server/vault/index.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { binaryBody } from '../helpers/binary-body.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, numbersIn, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * The unsigned custody tally for a period the office or the client chooses
 * (issue 16 §1): a GET form on the custody page, read with the signed
 * report's and the ledger's own checks (ledger-schema.ts). The truth is the
 * test's: which numbers were shown on which day. The page names the period
 * it counts, and its PDF and CSV count that period and nothing else.
 */
const NUMBERS = syntheticMyNumbers(3, 1619);
const JST = (s: string) => new Date(`${s}+09:00`);

describe('the custody tally for a chosen period', () => {
  let t: TestApp;
  let now = JST('2026-01-05T09:00');
  let office: VaultOffice;
  let a: { id: string; name: string; accessKey: string };
  let b: { id: string; name: string; accessKey: string };
  let client: MadeUser;
  /** The days a number of A was shown (revealed) by the key holder; B's one number on 04-20. */
  const SHOWN_A = ['2026-02-10T10:00', '2026-04-15T10:00', '2026-05-31T23:30', '2026-06-01T00:30'];

  beforeAll(async () => {
    t = await makeTestApp({}, { clock: { now: () => now } });
    office = await makeVaultOffice(t.deps);
    a = await makeCompany(t.deps, '青葉商事株式会社');
    b = await makeCompany(t.deps, '白川工業株式会社');
    client = await makeUser(t.deps, { role: 'client', companyId: a.id });
    const [held] = await putInVault(t.deps, { companyId: a.id, employees: [{ number: NUMBERS[0]!, name: '青葉 一郎', employeeCode: 'A1', dependents: [{ number: NUMBERS[1]!, name: '青葉 花子', relation: '配偶者' }] }] });
    const [other] = await putInVault(t.deps, { companyId: b.id, employees: [{ number: NUMBERS[2]!, name: '白川 一郎', employeeCode: 'B1' }] });
    const staff = { userId: office.keyHolder.id, role: 'staff' as const };
    for (const at of SHOWN_A) {
      now = JST(at);
      await revealNumber(t.deps, { personId: held!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    }
    now = JST('2026-04-20T10:00');
    await revealNumber(t.deps, { personId: other!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    now = JST('2026-06-10T15:00');
  }, 60_000);
  afterAll(() => t?.close());

  const shownIn = (from: string, to: string) => SHOWN_A.filter((s) => s.slice(0, 10) >= from && s.slice(0, 10) <= to).length;
  /** The CSV's count of numbers shown (表示), over every purpose and role. */
  const revealsIn = (csv: string) =>
    csv
      .split('\r\n')
      .map((l) => l.split(',').map((c) => c.replace(/^\uFEFF?"|"$/g, '')))
      .filter(([section, , detail]) => section === '番号の利用' && detail?.endsWith(' 表示'))
      .reduce((n, row) => n + Number(row.at(-1)), 0);
  const href = (html: string, what: 'csv' | 'pdf') => (new RegExp(`<a href="([^"]+)" data-tally="${what}">`).exec(html)?.[1] ?? '').replace(/&amp;/g, '&');
  const tallyOf = (html: string) => html.slice(html.indexOf('data-section="tally"'));
  const get = async (agent: Agent, url: string) => {
    const res = await agent.get(url).buffer(true).parse(binaryBody);
    expect(res.status).toBe(200);
    return res.body as Buffer;
  };
  const staffAgent = async () => (await signedInAgent(t.app, t.deps, office.keyHolder)).agent;

  it('when the office picks a period, the page names it, and its PDF and CSV count the numbers shown in that period and no other', async () => {
    const agent = await staffAgent();
    const page = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-04-01&to=2026-05-31`);
    expect(page.status).toBe(200);
    const tally = tallyOf(page.text);
    expect(tally).toContain('集計の期間: 2026-04-01 〜 2026-05-31');
    expect(tally).toContain('id="tally-from" name="from" value="2026-04-01"');
    expect(tally).toContain('id="tally-to" name="to" value="2026-05-31"');
    const csvUrl = href(page.text, 'csv');
    expect(csvUrl).toBe(`/office/companies/${a.id}/custody-report.csv?from=2026-04-01&to=2026-05-31`);
    const csv = (await get(agent, csvUrl)).toString('utf8');
    expect(revealsIn(csv)).toBe(shownIn('2026-04-01', '2026-05-31')); // 04-15 and 05-31 23:30 JST; not 06-01 00:30, not B's
    expect(revealsIn(csv)).toBe(2);
    expect(csv).toContain('2026-04-01 00:00 JST 〜 2026-06-01 00:00 JST');
    expect(numbersIn(csv, NUMBERS)).toEqual([]);
    expect(csv).not.toMatch(STANDALONE_TWELVE_DIGITS);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-tally-'));
    fs.writeFileSync(path.join(dir, 'r.pdf'), await get(agent, href(page.text, 'pdf')));
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(text).toMatch(/表示 2 回/);

    // Without a period: the past 12 months up to today, named on the page, all four shown.
    const dflt = await agent.get(`/office/companies/${a.id}/custody-reports`);
    expect(tallyOf(dflt.text)).toContain('集計の期間: 2025-06-11 〜 2026-06-10');
    expect(revealsIn((await get(agent, href(dflt.text, 'csv'))).toString('utf8'))).toBe(SHOWN_A.length);
  });

  it('when the end is before the start, or the start is after today, the page says so in Japanese or English, keeps what was typed, and counts nothing for it', async () => {
    const agent = await staffAgent();
    const backwards = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-05-01&to=2026-04-01`);
    expect(backwards.status).toBe(400);
    const tally = tallyOf(backwards.text);
    expect(tally).toContain('終了日（2026-04-01）が開始日（2026-05-01）より前になっています');
    expect(tally).toContain('id="tally-from" name="from" value="2026-05-01"');
    // The links left on the page are the default period's, and the page says which.
    expect(tally).toContain('集計の期間: 2025-06-11 〜 2026-06-10');
    expect(href(backwards.text, 'csv')).toBe(`/office/companies/${a.id}/custody-report.csv?from=2025-06-11&to=2026-06-10`);
    const en = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-05-01&to=2026-04-01&lang=en`);
    expect(en.text).toContain('The end date (2026-04-01) is before the start date (2026-05-01)');

    const future = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-07-01&to=2026-07-31&lang=ja`);
    expect(future.status).toBe(400);
    expect(tallyOf(future.text)).toContain('開始日（2026-07-01）が今日（2026-06-10）より後になっています');
    const futureEn = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-07-01&lang=en`);
    expect(futureEn.text).toContain('The start date (2026-07-01) is after today (2026-06-10)');

    const typo = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-02-30&lang=ja`);
    expect(typo.status).toBe(400);
    expect(tallyOf(typo.text)).toContain('日付を「年-月-日」の形');
    // The files refuse the same periods with the same words (the error page).
    const csv = await agent.get(`/office/companies/${a.id}/custody-report.csv?from=2026-05-01&to=2026-04-01&lang=ja`);
    expect(csv.status).toBe(400);
    expect(csv.text).toContain('終了日（2026-04-01）が開始日（2026-05-01）より前');
  });

  it('when the end is after today, the tally ends today and the page says so — and a signed report asked for the same period ends today too', async () => {
    const agent = await staffAgent();
    const page = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-05-01&to=2026-12-31`);
    expect(page.status).toBe(200);
    const tally = tallyOf(page.text);
    expect(tally).toContain('終了日 2026-12-31 は今日より後のため、今日（2026-06-10）までを対象にしています');
    expect(tally).toContain('集計の期間: 2026-05-01 〜 2026-06-10');
    expect(href(page.text, 'csv')).toBe(`/office/companies/${a.id}/custody-report.csv?from=2026-05-01&to=2026-06-10`);
    expect(revealsIn((await get(agent, href(page.text, 'csv'))).toString('utf8'))).toBe(shownIn('2026-05-01', '2026-06-10'));
    const en = await agent.get(`/office/companies/${a.id}/custody-reports?from=2026-05-01&to=2026-12-31&lang=en`);
    expect(en.text).toContain('The end date 2026-12-31 is after today, so the period ends today (2026-06-10).');

    const csrf = await csrfToken(agent, `/office/companies/${a.id}/custody-reports`);
    const issued = await agent.post(`/office/companies/${a.id}/custody-reports`).type('form').send({ _csrf: csrf, passphrase: PASSPHRASES.keyHolder, from: '2026-05-01', to: '2026-12-31' });
    expect(issued.status).toBe(303);
    const row = await t.deps.db.selectFrom('custody_reports').select(['period_from', 'period_to']).where('company_id', '=', a.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ period_from: JST('2026-05-01T00:00').toISOString(), period_to: JST('2026-06-11T00:00').toISOString() });
  });

  it('in the room, the client chooses the period the same way, and its files count its own company only', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, client);
    const base = `/room/${a.accessKey}`;
    const page = await agent.get(`${base}/custody-reports?from=2026-04-01&to=2026-04-30`);
    expect(page.status).toBe(200);
    expect(tallyOf(page.text)).toContain('集計の期間: 2026-04-01 〜 2026-04-30');
    expect(tallyOf(page.text)).toContain(`action="${base}/custody-reports"`);
    const csvUrl = href(page.text, 'csv');
    expect(csvUrl).toBe(`${base}/custody-report.csv?from=2026-04-01&to=2026-04-30`);
    const csv = (await get(agent, csvUrl)).toString('utf8');
    expect(revealsIn(csv)).toBe(1); // A's 04-15; B's 04-20 is not A's
    expect(csv).not.toContain('白川');
    const backwards = await agent.get(`${base}/custody-reports?from=2026-04-30&to=2026-04-01&lang=en`);
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('The end date (2026-04-01) is before the start date (2026-04-30)');
    expect((await agent.get(`/room/${b.accessKey}/custody-reports?from=2026-04-01&to=2026-04-30`)).status).toBe(404);
    expect((await agent.get(`/room/${b.accessKey}/custody-report.csv?from=2026-04-01&to=2026-04-30`)).status).toBe(404);
  });
});
