import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readOfficePublicKey } from '../../server/keys/office-key.js';
import { verifyDetached } from '../../server/retention/certificate-sign.js';
import { subcontractApprovals } from '../../server/oversight/safeguards.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { binaryBody } from '../helpers/binary-body.js';
import { fakeClock } from '../helpers/clock.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, numbersIn, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * The office's safeguards and 再委託 許諾 as the director keeps them, and the
 * signed custody report as the client gets it: through HTTP on the real app,
 * the signature checked by GnuPG and by `kinko certificate:verify` (the
 * certificates' own check), one changed byte failing both.
 */
const NUMBERS = syntheticMyNumbers(3, 1618);
const POLICY = '当事務所は、個人番号を番号法に定める事務に限って取り扱います。';
const RULES = '取得・利用・保管・提供・廃棄の各段階で、担当者と手順を定めています。';
const HOSTING = '事務所内のサーバー（東京都千代田区）';

describe('safeguards, 再委託 許諾 and the signed custody report', () => {
  let t: TestApp;
  let office: VaultOffice;
  let a: { id: string; name: string; accessKey: string };
  let b: { id: string; name: string; accessKey: string };
  let client: MadeUser;
  let dir: string;
  const clock = fakeClock('2026-05-20T01:00:00.000Z');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-custody-signed-'));
    t = await makeTestApp({}, { clock });
    office = await makeVaultOffice(t.deps);
    a = await makeCompany(t.deps, '青葉商事株式会社');
    b = await makeCompany(t.deps, '白川工業株式会社');
    client = await makeUser(t.deps, { role: 'client', companyId: a.id });
    await putInVault(t.deps, { companyId: a.id, employees: [{ number: NUMBERS[0]!, name: '青葉 一郎', employeeCode: 'A1', dependents: [{ number: NUMBERS[1]!, name: '青葉 花子', relation: '配偶者' }] }] });
    await putInVault(t.deps, { companyId: b.id, employees: [{ number: NUMBERS[2]!, name: '白川 一郎', employeeCode: 'B1' }] });
  }, 60_000);
  afterAll(async () => {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: path.join(dir, 'gpg') } });
    fs.rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  async function director(stepUp = true) {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp });
    return { agent, csrf: await csrfToken(agent, '/office/oversight/safeguards') };
  }
  const audits = (action: string) => t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();

  it('when staff or a client ask for the safeguards page, or the director saves without a fresh step-up, nothing changes', async () => {
    const staff = (await signedInAgent(t.app, t.deps, office.keyHolder, { stepUp: true })).agent;
    expect((await staff.get('/office/oversight/safeguards')).status).toBe(403);
    const room = (await signedInAgent(t.app, t.deps, client)).agent;
    expect((await room.get('/office/oversight/safeguards')).status).toBe(404);
    const { agent, csrf } = await director(false);
    const page = await agent.get('/office/oversight/safeguards');
    expect(page.status).toBe(200);
    expect(page.text).toContain('まだ登録されていません');
    const res = await agent.post('/office/oversight/safeguards').type('form').send({ _csrf: csrf, policy: POLICY, rules: RULES, hosting: HOSTING });
    expect(res.status).toBe(403);
    expect(res.text).toContain('確認コードの再入力が必要です');
    expect(await t.deps.db.selectFrom('office_safeguards').selectAll().execute()).toEqual([]);
  });

  it('when the director saves the texts and a client\'s 許諾 dates, each change is one audit entry, and a wrong date is refused in plain words', async () => {
    const { agent, csrf } = await director();
    const empty = await agent.post('/office/oversight/safeguards').type('form').send({ _csrf: csrf, policy: '', rules: RULES, hosting: HOSTING });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('基本方針を入力してください');
    const saved = await agent.post('/office/oversight/safeguards').type('form').send({ _csrf: csrf, policy: POLICY, rules: RULES, hosting: HOSTING });
    expect(saved.status).toBe(303);
    expect((await audits('oversight.safeguards.update')).length).toBe(1);

    const future = await agent.post('/office/oversight/safeguards/approvals').type('form').send({ _csrf: csrf, companyId: a.id, database: '2026-06-01', storage: '', mail: '' });
    expect(future.status).toBe(400);
    expect(future.text).toContain('許諾日が未来の日付になっています');
    const futureEn = await agent.post('/office/oversight/safeguards/approvals?lang=en').type('form').send({ _csrf: csrf, companyId: a.id, database: '2026-02-30', storage: '', mail: '' });
    expect(futureEn.text).toContain('Enter a real date');
    const foreign = await agent.post('/office/oversight/safeguards/approvals?lang=ja').type('form').send({ _csrf: csrf, companyId: 'no-such-company', database: '2026-04-01' });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toContain('この事務所に登録されていません');
    expect(await audits('oversight.subcontract.approval')).toEqual([]);

    const ok = await agent.post('/office/oversight/safeguards/approvals').type('form').send({ _csrf: csrf, companyId: a.id, database: '2026-04-01', storage: '', mail: '２０２６-０４-０２' });
    expect(ok.status).toBe(303);
    const entries = await audits('oversight.subcontract.approval');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_id: office.director.id, company_id: a.id });
    expect(JSON.parse(entries[0]!.details)).toMatchObject({ database: '2026-04-01 (local)', mail: '2026-04-02 (local)' });
    // Saving the same dates again changes nothing and records nothing.
    await agent.post('/office/oversight/safeguards/approvals').type('form').send({ _csrf: csrf, companyId: a.id, database: '2026-04-01', storage: '', mail: '2026-04-02' });
    expect(await audits('oversight.subcontract.approval')).toHaveLength(1);
    const page = await agent.get('/office/oversight/safeguards');
    expect(page.text).toContain(POLICY);
    expect(page.text).toContain('value="2026-04-01"');
  });

  it('when the office moves a location to another provider, the client\'s earlier 許諾 no longer counts: 未許諾 until it approves again', async () => {
    const s3 = { ...t.deps.config, storage: { ...t.deps.config.storage, kind: 's3', endpoint: 'https://s3.example.jp', region: 'ap-northeast-1' } } as never;
    const now = await subcontractApprovals(t.deps.db, t.deps.config, a.id);
    expect(now.map((s) => [s.what, s.approvedOn])).toEqual([['database', '2026-04-01'], ['storage', null], ['mail', '2026-04-02']]);
    const moved = await subcontractApprovals(t.deps.db, s3, a.id);
    expect(moved.find((s) => s.what === 'database')).toMatchObject({ approvedOn: '2026-04-01' });
    await t.deps.db.insertInto('subcontract_approvals').values({ company_id: a.id, what: 'storage', provider: 'local', approved_on: '2026-04-03', recorded_by: office.director.id, recorded_at: clock.now().toISOString() }).execute();
    const afterMove = (await subcontractApprovals(t.deps.db, s3, a.id)).find((s) => s.what === 'storage')!;
    expect(afterMove).toMatchObject({ where: 's3:s3.example.jp', approvedOn: null, approvedFor: 'local' });
    await t.deps.db.deleteFrom('subcontract_approvals').where('company_id', '=', a.id).where('what', '=', 'storage').execute();
  });

  it('when a key holder issues the report, the client downloads it in the room, GnuPG and certificate:verify accept it, and one changed byte fails both', async () => {
    const { agent: plain } = await signedInAgent(t.app, t.deps, office.plainStaff);
    expect((await plain.get(`/office/companies/${a.id}/custody-reports`)).text).toContain('発行には事務所の鍵が必要です');
    const { agent } = await signedInAgent(t.app, t.deps, office.keyHolder);
    const page = `/office/companies/${a.id}/custody-reports`;
    const csrf = await csrfToken(agent, page);
    const wrong = await agent.post(page).type('form').send({ _csrf: csrf, passphrase: 'not-the-passphrase', from: '', to: '' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('パスフレーズ');
    const backwards = await agent.post(page).type('form').send({ _csrf: csrf, passphrase: PASSPHRASES.keyHolder, from: '2026-05-01', to: '2026-04-01' });
    expect(backwards.status).toBe(400);
    expect(backwards.text).toContain('終了日（2026-04-01）が開始日（2026-05-01）より前');
    expect(await t.deps.db.selectFrom('custody_reports').select('id').execute()).toEqual([]);
    const issued = await agent.post(page).type('form').send({ _csrf: csrf, passphrase: PASSPHRASES.keyHolder, from: '', to: '' });
    expect(issued.status).toBe(303);
    const [row] = await t.deps.db.selectFrom('custody_reports').selectAll().execute();
    expect(row).toMatchObject({ company_id: a.id, issued_by: office.keyHolder.id });
    expect((await audits('oversight.custody.issue')).map((e) => e.target_ids)).toEqual([JSON.stringify([row!.id])]);

    const { agent: room } = await signedInAgent(t.app, t.deps, client);
    const base = `/room/${a.accessKey}/custody-reports`;
    const list = await room.get(base);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`data-report="${row!.id}"`);
    const get = async (file: string) => (await room.get(`${base}/${row!.id}/${file}`).buffer(true).parse(binaryBody)).body as Buffer;
    const files = { pdf: await get('report.pdf'), pdfSig: await get('report.pdf.asc'), csv: await get('report.csv'), csvSig: await get('report.csv.asc') };
    for (const [name, bytes] of [['report.pdf', files.pdf], ['report.pdf.asc', files.pdfSig], ['report.csv', files.csv], ['report.csv.asc', files.csvSig]] as const) fs.writeFileSync(path.join(dir, name), bytes);

    const text = spawnSync('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'report.pdf'), '-'], { encoding: 'utf8' }).stdout;
    const csv = files.csv.toString('utf8');
    for (const out of [text, csv]) {
      expect(out).toContain(row!.id);
      expect(out).toContain(POLICY);
      expect(out).toContain(HOSTING);
      expect(out).toContain('許諾日 2026-04-01');
      expect(out).toContain('未許諾');
      expect(numbersIn(out, NUMBERS)).toEqual([]);
      expect(out).not.toMatch(STANDALONE_TWELVE_DIGITS);
      expect(out).not.toContain('白川');
    }
    // The storage line, which the client has not approved, says so rather than leaving it blank.
    expect(csv).toMatch(/"再委託","ファイル・番号の保存先","[^"]*","未許諾"/);
    // 事務取扱担当者 = the active key holders (director, the holder, the one still to change their passphrase).
    expect(csv).toContain('"事務取扱担当者","事務所の鍵を持つ人","","3"');

    const pub = (await readOfficePublicKey(t.deps.db))!;
    expect(await verifyDetached(files.pdf, files.pdfSig.toString('utf8'), pub)).toBe(true);
    expect(await verifyDetached(files.csv, files.csvSig.toString('utf8'), pub)).toBe(true);
    const home = path.join(dir, 'gpg');
    fs.mkdirSync(home, { mode: 0o700 });
    const gpg = (args: string[], input?: string) => spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { input, encoding: 'utf8', env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
    expect(gpg(['--import'], pub.armor()).status).toBe(0);
    expect(gpg(['--verify', path.join(dir, 'report.pdf.asc'), path.join(dir, 'report.pdf')]).status).toBe(0);
    expect(gpg(['--verify', path.join(dir, 'report.csv.asc'), path.join(dir, 'report.csv')]).status).toBe(0);
    const cli = (file: string) => spawnSync(process.execPath, [path.resolve('bin/kinko.js'), 'certificate:verify', file], { encoding: 'utf8', env: { ...process.env, KINKO_DATA_DIR: t.dataDir, KINKO_LOG_LEVEL: 'silent' }, timeout: 60_000 });
    const good = cli(path.join(dir, 'report.pdf'));
    expect(good.stdout).toContain('署名は有効です');
    expect(good.status).toBe(0);

    for (const name of ['report.pdf', 'report.csv']) {
      const bytes = fs.readFileSync(path.join(dir, name));
      bytes[Math.floor(bytes.length / 2)] ^= 1;
      fs.writeFileSync(path.join(dir, name), bytes);
      expect(await verifyDetached(bytes, fs.readFileSync(path.join(dir, `${name}.asc`), 'utf8'), pub)).toBe(false);
      expect(gpg(['--verify', path.join(dir, `${name}.asc`), path.join(dir, name)]).status).not.toBe(0);
      const bad = cli(path.join(dir, name));
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('署名が一致しません');
    }
  }, 120_000);

  it('when another company\'s client asks for the report, or a report id that does not exist, the answer is the same 404', async () => {
    const [row] = await t.deps.db.selectFrom('custody_reports').selectAll().execute();
    const other = await makeUser(t.deps, { role: 'client', companyId: b.id });
    const { agent } = await signedInAgent(t.app, t.deps, other);
    expect((await agent.get(`/room/${b.accessKey}/custody-reports/${row!.id}/report.pdf`)).status).toBe(404);
    expect((await agent.get(`/room/${b.accessKey}/custody-reports/nope/report.pdf`)).status).toBe(404);
    expect((await agent.get(`/room/${a.accessKey}/custody-reports`)).status).toBe(404);
    const own = await agent.get(`/room/${b.accessKey}/custody-reports`);
    expect(own.text).toContain('まだ署名付きの報告を発行していません');
    expect(own.text).not.toContain(row!.id);
  });
});
