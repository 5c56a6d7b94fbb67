import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import iconv from 'iconv-lite';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { disposeDueBundles } from '../../server/bundles/delivery/service.js';
import { readOfficePublicKey } from '../../server/keys/office-key.js';
import { gatherScope } from '../../server/oversight/breach-scope.js';
import { csrfToken, makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { binaryBody } from '../helpers/binary-body.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { fakeClock } from '../helpers/clock.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { everyCell, numbersIn, putInVault } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * The year-end bundles from the build button to their destruction (issue 15
 * §4–7), through HTTP as staff, the director and the client live it: the
 * company's 法人番号 and key, the build (step-up, passphrase shown once),
 * the room's list and download (each on record and on the bundle's page,
 * the file opened by GnuPG with the office signature checked), another
 * company's client refused, 提出済 and expiry destroying the numbered copy
 * with a disposal record, and a rebuild sealed to the client's own key.
 */
function gpg(home: string, args: string[], input?: Buffer) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--status-fd', '2', ...args], { input, env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000 });
}

/** A synthetic 法人番号: twelve digits and the check digit in front. */
function corporateNumber(body: string): string {
  const sum = [...body].reduce((s, c, i) => s + Number(c) * ((12 - i) % 2 === 1 ? 1 : 2), 0);
  return `${9 - (sum % 9)}${body}`;
}

describe('delivering the year-end bundles', () => {
  let t: TestApp;
  let office: Office;
  let home: string;
  let officeFingerprint: string;
  const clock = fakeClock(new Date().toISOString());
  const [yamada, hanako, sato] = syntheticMyNumbers(3, 4141) as [string, string, string];
  const houjin = corporateNumber('700110005901');
  const template = [
    '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ',
    '1001,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,東京都府中市宮町１－２－３,6000000,100000,132063,いいえ,いいえ,はい,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ',
    '1002,佐藤　次郎,ｻﾄｳ ｼﾞﾛｳ,東京都千代田区丸の内１－１－１,3000000,50000,131016,いいえ,いいえ,はい,,',
  ].join('\r\n') + '\r\n';
  let dropId = '';
  let passphrase = '';
  const room = () => `/room/${office.company.accessKey}`;

  beforeAll(async () => {
    t = await makeTestApp({}, { clock });
    office = await arrangeOffice(t.deps);
    await putInVault(t.deps, {
      companyId: office.company.id, unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase,
      employees: [
        { number: yamada, name: '山田 太郎', employeeCode: '1001', dependents: [{ number: hanako, name: '山田 花子', relation: '配偶者' }] },
        { number: sato, name: '佐藤 次郎', employeeCode: '1002' },
      ],
    });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-deliver-'));
    fs.chmodSync(home, 0o700);
    const pub = await readOfficePublicKey(t.deps.db);
    officeFingerprint = pub!.getFingerprint().toUpperCase();
    expect(gpg(home, ['--import'], Buffer.from(pub!.armor())).status).toBe(0);
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, Buffer.from(template, 'utf8')), '年末調整.csv');
    dropId = drop.id;
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const mark = `${room()}/drops/${drop.id}/year-end`;
    const markToken = await csrfToken(client, mark);
    expect((await client.post(mark).type('form').send({ _csrf: markToken, nenbun: '7' })).status).toBe(303);
    const { agent } = await signedInAgent(t.app, t.deps, office.holder);
    const page = `/office/year-end/${drop.id}`;
    const openToken = await csrfToken(agent, page);
    expect((await agent.post(`${page}/open`).type('form').send({ _csrf: openToken, passphrase: STAFF_PASSPHRASE })).status).toBe(303);
  });
  afterAll(async () => {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
    fs.rmSync(home, { recursive: true, force: true });
    await t?.close();
  });

  it('the room offers kinko’s template: a header row the reader takes back, and no number column', async () => {
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const res = await client.get(`${room()}/year-end-template.csv`).buffer(true).parse(binaryBody);
    expect(res.status).toBe(200);
    const text = (res.body as Buffer).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    for (const h of ['受給者番号', '氏名', '支払金額', '提出先市町村コード', '配偶者 氏名', '扶養親族1 氏名']) expect(text).toContain(h);
    expect(text).not.toMatch(/個人番号|マイナンバー/);
    const { readTemplateCsv } = await import('../../server/bundles/read/template-reader.js');
    expect(readTemplateCsv(new Uint8Array(res.body as Buffer), 7, { name: 'x', address: '', phone: '' }).problems.filter((p) => p.severity === 'error')).toEqual([]);
    const other = await signedInAgent(t.app, t.deps, await makeUser(t.deps, { role: 'client', companyId: (await makeCompany(t.deps, '他社')).id }));
    expect((await other.agent.get(`${room()}/year-end-template.csv`)).status).toBe(404);
  });

  it('an Excel workbook marked 年末調整データ is refused with how to save it as CSV, and nothing is read', async () => {
    // What Excel saves: a zip of XML parts (the reader never gets to it).
    const bytes = Buffer.from(zipSync({ '[Content_Types].xml': new TextEncoder().encode('<Types/>'), 'xl/workbook.xml': new TextEncoder().encode('<workbook/>') }));
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, bytes), '年末調整.xlsx');
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const mark = `${room()}/drops/${drop.id}/year-end`;
    const markToken = await csrfToken(client, mark);
    expect((await client.post(mark).type('form').send({ _csrf: markToken, nenbun: '7' })).status).toBe(303);
    const { agent } = await signedInAgent(t.app, t.deps, office.holder);
    const page = `/office/year-end/${drop.id}`;
    const token = await csrfToken(agent, page);
    const res = await agent.post(`${page}/open`).type('form').send({ _csrf: token, passphrase: STAFF_PASSPHRASE });
    expect(res.status).toBe(400);
    expect(res.text).toContain('「CSV UTF-8」');
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'bundles.input.open').where('target_ids', 'like', `%${drop.id}%`).execute()).toEqual([]);
  });

  it('the director sets the payer’s 法人番号 (a wrong check digit is refused in Japanese); staff may only look; until then the build form says col 94 would stay blank', async () => {
    const { agent: holder } = await signedInAgent(t.app, t.deps, office.holder, { stepUp: true });
    const before = await holder.get(`/office/year-end/${dropId}`);
    expect(before.text).toContain('支払者の法人番号がまだ登録されていません');
    expect(before.text).toContain(`/office/companies/${office.company.id}/bundles`);
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const page = `/office/companies/${office.company.id}/bundles`;
    const token = await csrfToken(agent, page);
    const wrong = await agent.post(`/office/companies/${office.company.id}/bundle-settings`).type('form').send({ _csrf: token, corporateNumber: `${(Number(houjin[0]) % 9) + 1}${houjin.slice(1)}`, contactName: '総務 太郎', contactPhone: '03-1234-5678' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('法人番号の検査用数字が合いません');
    // Typed with full-width digits and a hyphen, as a Japanese keyboard does.
    const typed = houjin.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace(/^(.)(.{4})/, '$1-$2');
    const ok = await agent.post(`/office/companies/${office.company.id}/bundle-settings`).type('form').send({ _csrf: token, corporateNumber: typed, contactName: '総務 太郎', contactPhone: '03-1234-5678' });
    expect(ok.status).toBe(303);
    expect((await agent.get(page)).text).toContain(houjin);
    expect((await holder.get(`/office/year-end/${dropId}`)).text).not.toContain('支払者の法人番号がまだ登録されていません');

    const { agent: staff } = await signedInAgent(t.app, t.deps, office.plain, { stepUp: true });
    const staffToken = await csrfToken(staff, page);
    const refused = await staff.post(`/office/companies/${office.company.id}/bundle-settings`).type('form').send({ _csrf: staffToken, corporateNumber: '', contactName: '', contactPhone: '' });
    expect([403, 404]).toContain(refused.status);
  });

  it('a key holder builds through the page: asked to step up first, a wrong passphrase keeps nothing, the right one shows the passphrase once', async () => {
    const { agent: stale } = await signedInAgent(t.app, t.deps, office.holder);
    const page = await stale.get(`/office/year-end/${dropId}`);
    expect(page.text).toContain('もう一度本人確認');
    expect(page.text).toContain('3人分の個人番号');

    const { agent } = await signedInAgent(t.app, t.deps, office.holder, { stepUp: true });
    const token = await csrfToken(agent, `/office/year-end/${dropId}`);
    const wrong = await agent.post(`/office/year-end/${dropId}/build`).type('form').send({ _csrf: token, passphrase: 'not-the-passphrase' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.text).toContain('送付ファイルの作成');
    expect(await t.deps.db.selectFrom('bundles').select('id').execute()).toEqual([]);

    const built = await agent.post(`/office/year-end/${dropId}/build`).type('form').send({ _csrf: token, passphrase: STAFF_PASSPHRASE });
    expect(built.status).toBe(200);
    expect(built.headers['cache-control']).toBe('no-store');
    passphrase = /data-passphrase>([^<]+)</.exec(built.text)?.[1] ?? '';
    expect(passphrase).toMatch(/^([A-Za-z0-9]{5}-){5}[A-Za-z0-9]{5}$/);
    expect(built.text).toContain('税務署（源泉徴収票）');
    expect(built.text).toContain('市区町村 13101');
    // Stored nowhere: not in any cell, not in the log, not on the page again.
    expect((await everyCell(t.deps)).filter((c) => c.text.includes(passphrase))).toEqual([]);
    expect(t.logs.text).not.toContain(passphrase);
    expect((await agent.get(`/office/year-end/${dropId}`)).text).not.toContain(passphrase);
  });

  it('the client downloads from the room: on record first, GnuPG opens it and checks the office signature, col 94 holds the 法人番号', async () => {
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const list = await client.get(`${room()}/bundles`);
    expect(list.status).toBe(200);
    const tax = await t.deps.db.selectFrom('bundles').selectAll().where('destination', '=', 'tax-office').executeTakeFirstOrThrow();
    expect(list.text).toContain(tax.sha256);
    expect(numbersIn(list.text, [yamada, hanako, sato])).toEqual([]);

    const dlToken = await csrfToken(client, `${room()}/bundles`);
    const dl = await client.post(`${room()}/bundles/${tax.id}/download`).type('form').send({ _csrf: dlToken });
    expect(dl.status).toBe(303);
    const link = new URL(dl.headers['location']!);
    expect(link.pathname).toMatch(/^\/files\/bundles\//);
    const file = await request(t.app).get(link.pathname + link.search).buffer(true).parse(binaryBody);
    expect(file.status).toBe(200);
    const bytes = file.body as Buffer;
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(tax.sha256);
    const out = gpg(home, ['--pinentry-mode', 'loopback', '--passphrase', passphrase, '--decrypt'], bytes);
    expect(out.status).toBe(0);
    expect(out.stderr.toString()).toContain(`[GNUPG:] VALIDSIG ${officeFingerprint}`);
    const entries = unzipSync(new Uint8Array(out.stdout));
    const csv = Object.entries(entries).find(([n]) => n.endsWith('.csv'))!;
    const cells = iconv.decode(Buffer.from(csv[1]), 'shift_jis').replace(/\r\n$/, '').split(',');
    expect([cells[93], cells[94], cells[98]]).toEqual([houjin, yamada, hanako]);

    const downloads = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'bundles.download').execute();
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatchObject({ actor_id: office.client.id, company_id: office.company.id });
    const { agent: staff } = await signedInAgent(t.app, t.deps, office.plain);
    const bundlePage = await staff.get(`/office/bundles/${tax.id}`);
    expect(bundlePage.text).toContain(office.client.loginId);
    expect(bundlePage.text).toContain('ルームからダウンロード');

    // Had the client's account been stolen: the 税務署 bundle's two people are in its scope, sealed; the other employee is not.
    const scope = await gatherScope(t.deps.db, { kind: 'account', accountId: office.client.id, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });
    expect(scope.bundles).toEqual({ available: true, value: 2 });
    expect([...scope.tally.entries()].map((e) => e.state)).toEqual(['sealed', 'sealed']);
  });

  it('another company’s client cannot list or take it: the same 404 as an unknown id', async () => {
    const other = await makeCompany(t.deps, '株式会社ほか');
    const otherClient = await makeUser(t.deps, { role: 'client', companyId: other.id });
    const { agent } = await signedInAgent(t.app, t.deps, otherClient);
    const tax = await t.deps.db.selectFrom('bundles').selectAll().where('destination', '=', 'tax-office').executeTakeFirstOrThrow();
    const list = await agent.get(`/room/${other.accessKey}/bundles`);
    expect(list.text).not.toContain(tax.sha256);
    const token = await csrfToken(agent, `/room/${other.accessKey}/bundles`);
    const theirs = await agent.post(`/room/${other.accessKey}/bundles/${tax.id}/download`).type('form').send({ _csrf: token });
    const random = await agent.post(`/room/${other.accessKey}/bundles/AAAAAAAAAAAAAAAAAAAAAA/download`).type('form').send({ _csrf: token });
    expect([theirs.status, random.status]).toEqual([404, 404]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'bundles.download').execute()).toHaveLength(1);
  });

  it('提出済 destroys the numbered copy at once with a disposal record; the link kinko gave then says it is gone', async () => {
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const tax = await t.deps.db.selectFrom('bundles').selectAll().where('destination', '=', 'tax-office').executeTakeFirstOrThrow();
    const token = await csrfToken(client, `${room()}/bundles`);
    expect((await client.post(`${room()}/bundles/${tax.id}/submitted`).type('form').send({ _csrf: token })).status).toBe(303);
    await expect(t.deps.storage.bundles.head(tax.stored_key)).rejects.toThrow('no such object');
    const disposal = await t.deps.db.selectFrom('disposals').selectAll().where('subject_kind', '=', 'bundle').where('subject_id', '=', tax.id).executeTakeFirstOrThrow();
    expect(disposal.reason).toBe('bundle-submitted');
    const again = await client.post(`${room()}/bundles/${tax.id}/download`).type('form').send({ _csrf: token });
    expect(again.status).toBe(410);
    expect(again.text).toContain('廃棄されました');
    const row = await t.deps.db.selectFrom('bundles').selectAll().where('id', '=', tax.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('disposed');
    expect(JSON.parse(row.manifest).files.length).toBeGreaterThan(0); // the manifest stays
  });

  it('after 30 days nothing numbered remains; a rebuild is then sealed to the key the director registered', async () => {
    clock.advance(31 * 24 * 60 * 60_000);
    const r = await disposeDueBundles(t.deps);
    expect(r).toEqual({ disposed: 2, failed: 0 });
    const left = await t.deps.db.selectFrom('bundles').selectAll().where('numbered', '=', 1).where('state', '!=', 'disposed').execute();
    expect(left).toEqual([]);
    for (const b of await t.deps.db.selectFrom('bundles').select('stored_key').where('numbered', '=', 1).execute()) await expect(t.deps.storage.bundles.head(b.stored_key)).rejects.toThrow('no such object');

    const clientKey = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: '株式会社テスト商事 総務', email: 'soumu@example.co.jp' }], format: 'object' });
    const { agent: director } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const settings = `/office/companies/${office.company.id}/bundles`;
    const token = await csrfToken(director, settings);
    const privateRefused = await director.post(`/office/companies/${office.company.id}/client-key`).type('form').send({ _csrf: token, publicKey: clientKey.privateKey.armor() });
    expect(privateRefused.status).toBe(400);
    expect(privateRefused.text).toContain('これは秘密鍵です');
    expect((await director.post(`/office/companies/${office.company.id}/client-key`).type('form').send({ _csrf: token, publicKey: clientKey.publicKey.armor() })).status).toBe(303);
    expect((await director.get(settings)).text).toContain(clientKey.publicKey.getFingerprint().toUpperCase());

    const { agent } = await signedInAgent(t.app, t.deps, office.holder, { stepUp: true });
    const page = `/office/year-end/${dropId}`;
    const reopenToken = await csrfToken(agent, page);
    await agent.post(`${page}/open`).type('form').send({ _csrf: reopenToken, passphrase: STAFF_PASSPHRASE });
    const built = await agent.post(`${page}/build`).type('form').send({ _csrf: reopenToken, passphrase: STAFF_PASSPHRASE });
    expect(built.status).toBe(200);
    expect(built.text).not.toContain('data-passphrase');
    const tax = await t.deps.db.selectFrom('bundles').selectAll().where('destination', '=', 'tax-office').where('state', '=', 'sealed').executeTakeFirstOrThrow();
    expect(tax.sealed_to).toBe('client-key');
    const chunks: Buffer[] = [];
    for await (const c of await t.deps.storage.bundles.get(tax.stored_key)) chunks.push(c as Buffer);
    expect(gpg(home, ['--decrypt'], Buffer.concat(chunks)).status).not.toBe(0);
    expect(gpg(home, ['--import'], Buffer.from(clientKey.privateKey.armor())).status).toBe(0);
    const out = gpg(home, ['--decrypt'], Buffer.concat(chunks));
    expect(out.status).toBe(0);
    expect(out.stderr.toString()).toContain(`[GNUPG:] VALIDSIG ${officeFingerprint}`);
    expect(numbersIn(t.logs.text, [yamada, hanako, sato])).toEqual([]);
  });
});

describe('a build of more than the director’s threshold', () => {
  let t: TestApp;
  let office: Office;
  const count = 101;
  const numbers = syntheticMyNumbers(count, 5151);
  // The 統一CSV's name column is 全角 only: digits as a Japanese keyboard types them there.
  const zen = (n: number) => String(n).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));

  beforeAll(async () => {
    t = await makeTestApp();
    office = await arrangeOffice(t.deps);
    await putInVault(t.deps, {
      companyId: office.company.id, unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase,
      employees: numbers.map((number, i) => ({ number, name: `社員 ${zen(i + 1)}`, employeeCode: String(2001 + i) })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is refused to a staff key holder with what to do, and built by the director', async () => {
    const rows = numbers.map((_, i) => `${2001 + i},社員　${zen(i + 1)},ｼｬｲﾝ,東京都千代田区丸の内１－１－１,3000000,50000,131016,いいえ,いいえ,はい,,`);
    const csv = ['受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ', ...rows].join('\r\n') + '\r\n';
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, Buffer.from(csv, 'utf8')), '年末調整.csv');
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const mark = `/room/${office.company.accessKey}/drops/${drop.id}/year-end`;
    const markToken = await csrfToken(client, mark);
    expect((await client.post(mark).type('form').send({ _csrf: markToken, nenbun: '7' })).status).toBe(303);
    const page = `/office/year-end/${drop.id}`;

    const { agent } = await signedInAgent(t.app, t.deps, office.holder, { stepUp: true });
    const token = await csrfToken(agent, page);
    expect((await agent.post(`${page}/open`).type('form').send({ _csrf: token, passphrase: STAFF_PASSPHRASE })).status).toBe(303);
    expect((await agent.get(page)).text).toContain('100人を超える作成は所長が行います');
    const refused = await agent.post(`${page}/build`).type('form').send({ _csrf: token, passphrase: STAFF_PASSPHRASE });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('101人分の個人番号');
    expect(await t.deps.db.selectFrom('bundles').select('id').execute()).toEqual([]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'vault.read.bulk').execute()).toEqual([]);

    const { agent: director } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const dToken = await csrfToken(director, page);
    const built = await director.post(`${page}/build`).type('form').send({ _csrf: dToken, passphrase: DIRECTOR.keyPassphrase });
    expect(built.status).toBe(200);
    const made = await t.deps.db.selectFrom('bundles').select(['destination', 'rows']).execute();
    expect(made.find((b) => b.destination === 'municipal')?.rows).toBe(count);
  });
});
