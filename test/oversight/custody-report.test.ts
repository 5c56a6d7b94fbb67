import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { custodyCsv } from '../../server/oversight/custody-csv.js';
import { custodyPdf } from '../../server/oversight/custody-pdf.js';
import { custodyReport } from '../../server/oversight/custody-report.js';
import { readNumbersForPurpose, revealNumber } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, numbersIn, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * The custody report's facts, its CSV and PDF (the signed, issued report:
 * custody-signed.test.ts): every count is checked against what the test
 * did, and neither holds a number.
 */
const NUMBERS = syntheticMyNumbers(12, 1617);

describe('custody report facts', () => {
  let t: TestApp;
  let now = new Date('2026-01-10T00:00:00Z');
  let office: VaultOffice;
  let a: { id: string; name: string };
  let b: { id: string; name: string };

  beforeAll(async () => {
    t = await makeTestApp({}, { clock: { now: () => now } });
    office = await makeVaultOffice(t.deps);
    a = await makeCompany(t.deps, '青葉商事株式会社');
    b = await makeCompany(t.deps, '白川工業株式会社');
    const held = await putInVault(t.deps, { companyId: a.id, employees: [
      { number: NUMBERS[0]!, name: '青葉 一郎', employeeCode: 'A1', dependents: [{ number: NUMBERS[1]!, name: '青葉 花子', relation: '配偶者' }, { number: NUMBERS[2]!, name: '青葉 太郎', relation: '扶養親族1' }] },
      { number: NUMBERS[3]!, name: '青葉 二郎', employeeCode: 'A2' },
    ] });
    const other = await putInVault(t.deps, { companyId: b.id, employees: [{ number: NUMBERS[4]!, name: '白川 一郎', employeeCode: 'B1' }] });
    const staff = { userId: office.keyHolder.id, role: 'staff' as const };
    now = new Date('2025-12-01T00:00:00Z'); // over a year before "now" below: outside the default period
    await revealNumber(t.deps, { personId: held[0]!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    now = new Date('2026-06-01T00:00:00Z');
    await revealNumber(t.deps, { personId: held[0]!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    await revealNumber(t.deps, { personId: held[3]!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    await readNumbersForPurpose(t.deps, { companyId: a.id, personIds: held.map((p) => p.id), actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'withholding-slip' });
    await revealNumber(t.deps, { personId: other[0]!.id, actor: staff, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
    now = new Date('2027-01-05T00:00:00Z');
  }, 60_000);
  afterAll(() => t?.close());

  it('when a client\'s report is made for the past 12 months, persons, uses by purpose and role match what was done, and other clients are left out', async () => {
    const r = await custodyReport(t.deps, a.id);
    expect(r.personsTotal).toBe(4);
    expect(r.persons).toEqual([
      { relation: 'dependent', state: 'held', count: 1 },
      { relation: 'self', state: 'held', count: 2 },
      { relation: 'spouse', state: 'held', count: 1 },
    ]);
    const health = r.uses.find((u) => u.purpose.includes('健康保険'))!;
    expect(health).toMatchObject({ role: 'staff', reveals: 2, bulkReads: 0 });
    expect(r.uses.find((u) => u.purpose.includes('源泉徴収'))).toMatchObject({ role: 'staff', reveals: 0, bulkReads: 1 });
    expect(r.handlers.director).toBeGreaterThanOrEqual(1);
    expect(r.bundles).toEqual({ available: true, value: { issued: 0, downloaded: 0 } });
    const csv = custodyCsv(r);
    expect(csv).toContain('封入ファイル');
    expect(csv).not.toContain('白川');
    expect(csv).not.toContain('青葉 一郎');
    expect(numbersIn(csv, NUMBERS)).toEqual([]);
    expect(csv).not.toMatch(STANDALONE_TWELVE_DIGITS);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-custody-'));
    fs.writeFileSync(path.join(dir, 'r.pdf'), await custodyPdf(r));
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(text).toContain('青葉商事株式会社');
    expect(text).toMatch(/表示 2 回/);
    expect(text).toContain('封入ファイル: 作成 0 件 / ダウンロード 0 件');
    expect(text).toContain('未許諾');
    expect(text).toContain('未登録');
    expect(numbersIn(text, NUMBERS)).toEqual([]);
    expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the company is unknown, it is not found', async () => {
    await expect(custodyReport(t.deps, 'no-such-company')).rejects.toMatchObject({ status: 404 });
  });
});

describe('custody report downloads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(() => t?.close());

  it('when the client downloads its report from the room it gets its own CSV; another company\'s room answers 404', async () => {
    const { makeUser, signedInAgent } = await import('../helpers/actors.js');
    const a = await makeCompany(t.deps, '青葉商事株式会社');
    const b = await makeCompany(t.deps, '白川工業株式会社');
    const client = await makeUser(t.deps, { role: 'client', companyId: a.id });
    const { agent } = await signedInAgent(t.app, t.deps, client);
    const own = await agent.get(`/room/${a.accessKey}/custody-report.csv`);
    expect(own.status).toBe(200);
    expect(own.headers['content-type']).toMatch(/text\/csv/);
    expect(own.text).toContain('青葉商事株式会社');
    expect((await agent.get(`/room/${b.accessKey}/custody-report.csv`)).status).toBe(404);
    const pdf = await agent.get(`/room/${a.accessKey}/custody-report.pdf`).buffer(true);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const staff = await makeUser(t.deps, { role: 'staff' });
    const office = (await signedInAgent(t.app, t.deps, staff)).agent;
    expect((await office.get(`/office/companies/${b.id}/custody-report.csv`)).text).toContain('白川工業株式会社');
    expect((await office.get('/office/companies/nope/custody-report.csv')).status).toBe(404);
  });
});
