import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportDeparture, setCompanyServices, setHold } from '../../server/retention/service.js';
import { revealNumber } from '../../server/vault/index.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * Approving and carrying out a disposal batch through HTTP, on the real app
 * (SQLite, the packed local vault, openpgp, pdftotext, GnuPG): crypto-erase
 * when the batch is the whole cohort, a plain delete (purge) when others
 * still need the key, a second key holder's confirmation, and every refusal
 * with nothing half-done.
 */
const TODAY = new Date('2026-12-02T03:00:00Z');
const numbers = syntheticMyNumbers(12, 1414);

describe('disposal batches', () => {
  let t: TestApp;
  let office: VaultOffice;
  let companyId: string;
  let accessKey: string;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let dir: string;

  const acting = () => ({ userId: office.director.id, role: 'director' as const, requestId: null });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-batch-'));
    t = await makeTestApp({}, { clock: { now: () => TODAY } });
    office = await makeVaultOffice(t.deps);
    // one key holder (the director) unless a test adds the second back
    await t.deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute();
    const c = await makeCompany(t.deps, '廃棄商事株式会社');
    companyId = c.id;
    accessKey = c.accessKey;
    await setCompanyServices(t.deps, acting(), { companyId, serviceIds: ['shakai-hoken'] });
    const put = async (cohort: string, list: Array<[string, string, string]>) => {
      const rows = await putInVault(t.deps, { companyId, cohort, employees: list.map(([k, name, number]) => ({ name, number, employeeCode: k })) });
      rows.forEach((r, i) => ((ids[list[i]![0]] = r.id), (tokens[list[i]![0]] = r.token)));
    };
    // cohort 2019: three leavers, due together; cohort 2020: one leaver and one still in service; 2025: in service
    await put('2019', [['A1', '青木 一郎', numbers[0]!], ['A2', '井上 二郎', numbers[1]!], ['A3', '上田 三郎', numbers[2]!]]);
    await put('2020', [['B1', '江藤 四郎', numbers[3]!], ['B2', '大野 五郎', numbers[4]!]]);
    await put('2025', [['C1', '加藤 六郎', numbers[5]!], ['H1', '木村 七郎', numbers[6]!]]);
    for (const k of ['A1', 'A2', 'A3', 'B1', 'H1']) await reportDeparture(t.deps, acting(), { companyId, personId: ids[k]!, on: '2015-03-31', via: 'office' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function director() {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const page = `/office/companies/${companyId}/disposal`;
    return { agent, page, csrf: await csrfToken(agent, page) };
  }
  async function approve(persons: string[], over: Record<string, string> = {}) {
    const { agent, page, csrf } = await director();
    const res = await agent.post(`/office/companies/${companyId}/disposal-batches`).type('form').send({ _csrf: csrf, person: persons, reason: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director, ...over });
    return { agent, page, res };
  }
  const gone = (token: string) => t.deps.storage.vault.head(token).then(() => false, (e: unknown) => e instanceof StorageNotFoundError);
  const reveal = (personId: string) => revealNumber(t.deps, { personId, actor: { userId: office.director.id, role: 'director' }, passphrase: PASSPHRASES.director, purpose: 'health-pension' });

  it('when the director opens the disposal page, the due leavers are listed with their basis, no one in service and no number', async () => {
    const { agent, page } = await director();
    const res = await agent.get(page);
    expect(res.status).toBe(200);
    for (const name of ['青木 一郎', '井上 二郎', '上田 三郎', '江藤 四郎', '木村 七郎']) expect(res.text).toContain(name);
    expect(res.text).not.toContain('大野 五郎');
    expect(res.text).not.toContain('加藤 六郎');
    expect(res.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the director approves a batch that is a whole cohort, its key is destroyed, every record deleted and verified, and the certificate names the three', async () => {
    const { agent, res } = await approve([ids.A1!, ids.A2!, ids.A3!]);
    expect(res.status).toBe(303);
    const batchId = res.headers.location!.split('/').pop()!;
    const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ state: 'done', method: 'crypto-erase' });
    const keyIds = batch.key_ids.split(' ');
    expect(keyIds).toHaveLength(1);
    const key = await t.deps.db.selectFrom('data_keys').selectAll().where('id', '=', keyIds[0]!).executeTakeFirstOrThrow();
    expect(key.wrapped_key).toBeNull();
    expect(key.cohort).toBe('2019');
    for (const k of ['A1', 'A2', 'A3']) {
      expect(await gone(tokens[k]!)).toBe(true);
      expect(await t.deps.storage.vault.remnants(tokens[k]!)).toEqual([]);
      const p = await t.deps.db.selectFrom('persons').selectAll().where('id', '=', ids[k]!).executeTakeFirstOrThrow();
      expect(p).toMatchObject({ state: 'disposed', number_index: '', number_last4: null, employee_code: null });
    }
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'retention.disposal').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_ids).toContain(batchId);

    const shown = await agent.get(res.headers.location!);
    expect(shown.text).toContain('完了（確認済み）');
    const certs = await t.deps.db.selectFrom('disposal_certificates').selectAll().where('batch_id', '=', batchId).orderBy('copy').execute();
    expect(certs.map((c) => c.copy)).toEqual(['client', 'office']);
    const text = (copy: 'client' | 'office') => {
      const c = certs.find((x) => x.copy === copy)!;
      const file = path.join(dir, `${copy}.pdf`);
      fs.writeFileSync(file, Buffer.from(c.pdf_base64, 'base64'));
      fs.writeFileSync(`${file}.asc`, c.signature);
      const r = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
      return { flat: r.stdout.replace(/\s+/g, ''), file };
    };
    const client = text('client');
    for (const want of ['青木一郎（本人）', '井上二郎（本人）', '上田三郎（本人）', '対象者3名', '暗号学的消去', keyIds[0]!, '破棄した鍵では復号できないことを確認', '法定の保存期間の終了', '廃棄商事株式会社']) expect(client.flat).toContain(want);
    expect(client.flat).not.toContain('加藤');
    expect(client.flat).not.toMatch(STANDALONE_TWELVE_DIGITS);
    const officeCopy = text('office');
    expect(officeCopy.flat).not.toContain('青木');
    expect(officeCopy.flat).toContain(tokens.A1!);
    // GnuPG verifies the client copy against the office public key
    const home = path.join(dir, 'gnupg');
    fs.mkdirSync(home, { mode: 0o700 });
    const pub = await t.deps.db.selectFrom('office_keys').select('public_key').executeTakeFirstOrThrow();
    const g = (args: string[], input?: string) => spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { input, encoding: 'utf8' });
    expect(g(['--import'], pub.public_key).status).toBe(0);
    expect(g(['--verify', `${client.file}.asc`, client.file]).status).toBe(0);

    // the company's other people still reveal
    expect((await reveal(ids.C1!)).number).toBe(numbers[5]);
    // and the disposed are refused
    await expect(reveal(ids.A1!)).rejects.toMatchObject({ messageKey: 'vault.errors.disposed' });

    // the client downloads its copy in the room; the office lists it beside other disposals
    const list = await agent.get('/office/disposals');
    expect(list.text).toContain(`/office/disposal-batches/${batchId}`);
    const { makeUser } = await import('../helpers/actors.js');
    const clientUser = await makeUser(t.deps, { role: 'client', companyId });
    const { agent: room } = await signedInAgent(t.app, t.deps, clientUser);
    const roomList = await room.get(`/room/${accessKey}/certificates`);
    expect(roomList.status).toBe(200);
    const clientCert = certs.find((c) => c.copy === 'client')!;
    expect(roomList.text).toContain(clientCert.id);
    const pdf = await room.get(`/room/${accessKey}/certificates/${clientCert.id}/certificate.pdf`).buffer(true);
    expect(pdf.status).toBe(200);
    expect(Buffer.from(pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    const officeCert = certs.find((c) => c.copy === 'office')!;
    expect((await room.get(`/room/${accessKey}/certificates/${officeCert.id}/certificate.pdf`)).status).toBe(404);
  }, 60_000);

  it('when the same people are approved a second time, it is refused and nothing changes', async () => {
    const before = await t.deps.db.selectFrom('disposal_batches').select('id').execute();
    const { res } = await approve([ids.A1!]);
    expect(res.status).toBe(409);
    expect(res.text).toContain('同じ廃棄を二度承認することはできません');
    expect(await t.deps.db.selectFrom('disposal_batches').select('id').execute()).toHaveLength(before.length);
  });

  it('when a person is on hold, or not yet due, or of another company, the batch is refused whole and the others stay held', async () => {
    await setHold(t.deps, acting(), { companyId, personId: ids.H1!, reason: '訴訟対応' });
    const held = await approve([ids.B1!, ids.H1!]);
    expect(held.res.status).toBe(400);
    expect(held.res.text).toContain('保留中の方は廃棄できません');
    const notDue = await approve([ids.B1!, ids.C1!]);
    expect(notDue.res.status).toBe(400);
    expect(notDue.res.text).toContain('保存期間がまだ終わっていない方');
    const other = await makeCompany(t.deps, '別会社株式会社');
    const [stranger] = await putInVault(t.deps, { companyId: other.id, cohort: '2019', employees: [{ name: '別 太郎', number: numbers[7]! }] });
    const foreign = await approve([ids.B1!, stranger!.id]);
    expect(foreign.res.status).toBe(404);
    const still = await t.deps.db.selectFrom('persons').select(['id', 'state']).where('id', 'in', [ids.B1!, ids.H1!, ids.C1!, stranger!.id]).execute();
    expect(still.every((p) => p.state === 'held')).toBe(true);
    expect(await gone(tokens.B1!)).toBe(false);
    await setHold(t.deps, acting(), { companyId, personId: ids.H1!, reason: null });
  });

  it('when one person is disposed inside a cohort others still need, it is a plain delete: the key stays, the record says purge', async () => {
    const { res } = await approve([ids.B1!]);
    expect(res.status).toBe(303);
    const batchId = res.headers.location!.split('/').pop()!;
    const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ state: 'done', method: 'purge', key_ids: '' });
    expect(await gone(tokens.B1!)).toBe(true);
    expect((await reveal(ids.B2!)).number).toBe(numbers[4]);
    const cert = await t.deps.db.selectFrom('disposal_certificates').selectAll().where('batch_id', '=', batchId).where('copy', '=', 'client').executeTakeFirstOrThrow();
    const file = path.join(dir, 'purge.pdf');
    fs.writeFileSync(file, Buffer.from(cert.pdf_base64, 'base64'));
    const flat = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '');
    expect(flat).toContain('削除（全版・削除マーカーを含む）');
    expect(flat).not.toContain('暗号学的消去');
  }, 60_000);

  it('when the office has a second key holder, the batch waits for them: the approver cannot confirm, the other holder runs it', async () => {
    const { addKeyHolder } = await import('../helpers/vault-office.js');
    const second = await addKeyHolder(t.deps, 'staff', 'second-holder-passphrase');
    const { res } = await approve([ids.H1!]);
    expect(res.status).toBe(303);
    const batchUrl = res.headers.location!;
    const batchId = batchUrl.split('/').pop()!;
    expect((await t.deps.db.selectFrom('disposal_batches').select('state').where('id', '=', batchId).executeTakeFirstOrThrow()).state).toBe('awaiting-confirmation');
    expect(await gone(tokens.H1!)).toBe(false);

    const { agent: self } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const selfCsrf = await csrfToken(self, batchUrl);
    const selfTry = await self.post(`${batchUrl}/confirm`).type('form').send({ _csrf: selfCsrf, passphrase: PASSPHRASES.director });
    expect(selfTry.status).toBe(403);
    expect(selfTry.text).toContain('承認した本人は確認できません');

    const { agent } = await signedInAgent(t.app, t.deps, second, { stepUp: true });
    const csrf = await csrfToken(agent, batchUrl);
    const ok = await agent.post(`${batchUrl}/confirm`).type('form').send({ _csrf: csrf, passphrase: 'second-holder-passphrase' });
    expect(ok.status).toBe(303);
    const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ state: 'done', confirmed_by: second.id });
    expect(await gone(tokens.H1!)).toBe(true);
    const csrf2 = await csrfToken(agent, batchUrl);
    const again = await agent.post(`${batchUrl}/confirm`).type('form').send({ _csrf: csrf2, passphrase: 'second-holder-passphrase' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('この廃棄はすでに確認されています');
  }, 60_000);
});
