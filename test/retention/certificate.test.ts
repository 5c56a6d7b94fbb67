import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as openpgp from 'openpgp';
import { loadConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { generateOfficeKey } from '../../server/keys/office-key.js';
import { assertHonest, DishonestCertificate, type CertificateFacts } from '../../server/retention/certificate.js';
import { certificatePdf } from '../../server/retention/certificate-pdf.js';
import { signDetached, verifyDetached } from '../../server/retention/certificate-sign.js';
import { syntheticMyNumbers, STANDALONE_TWELVE_DIGITS } from '../helpers/mynumber.js';

/**
 * The disposal certificate as the client gets it: a PDF whose Japanese text
 * extracts with pdftotext, with a detached signature GnuPG verifies against
 * the office public key — and that refuses to claim what was not verified.
 */
const facts = (over: Partial<CertificateFacts> = {}): CertificateFacts => ({
  certificateId: 'CERT-2034-0001',
  batchId: 'B-2034-01-山田商事',
  issuedAt: '2034-01-12T01:00:00.000Z',
  officeName: 'テスト社労士事務所',
  companyName: '山田商事株式会社',
  copy: 'client',
  persons: [{ name: '山田 太郎', relation: '本人' }, { name: '山田 花子', relation: '配偶者' }, { name: '山田 一郎', relation: '扶養親族1' }],
  method: 'crypto-erase',
  keyIds: ['dk_0123456789abcdef'],
  stores: [{ store: 'vault (S3 kinko-vault)', objects: 3, versions: 3, verifiedAt: '2034-01-12T00:59:00.000Z' }],
  decryptFailedAt: '2034-01-12T00:59:30.000Z',
  reason: '保存期間満了（扶養控除等申告書 7年）',
  approver: { name: '所長 花子', role: '所長' },
  executor: { name: '担当 一郎', role: '事務取扱担当者' },
  backups: [{ where: 'データベースの夜間バックアップ', until: '2034-02-11' }],
  outsideCustody: [{ what: '源泉徴収票（本人交付分）', destination: '委託元がダウンロード済み', date: '2027-01-20' }],
  kinkoVersion: '0.1.0',
  ...over,
});

function run(cmd: string, args: string[], input?: Buffer, env?: Record<string, string>) {
  const r = spawnSync(cmd, args, { input, encoding: 'buffer', env: env ? { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env } : process.env });
  return { status: r.status, out: r.stdout?.toString('utf8') ?? '', err: r.stderr?.toString('utf8') ?? '' };
}

describe('the disposal certificate', () => {
  let dir: string;
  let office: { privateKey: openpgp.PrivateKey; publicArmored: string; fingerprint: string };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cert-'));
    fs.chmodSync(dir, 0o700);
    const key = await generateOfficeKey('テスト社労士事務所', 'correct horse battery staple');
    const privateKey = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: key.lockedPrivateKeyArmored }), passphrase: 'correct horse battery staple' });
    office = { privateKey, publicArmored: key.publicKeyArmored, fingerprint: key.fingerprint };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when the client opens the PDF, its Japanese text reads back with pdftotext: who, how, verified how, and what is outside custody', async () => {
    const pdf = await certificatePdf(facts());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const file = path.join(dir, 'cert.pdf');
    fs.writeFileSync(file, pdf);
    const text = run('pdftotext', ['-enc', 'UTF-8', file, '-']);
    expect(text.status).toBe(0);
    const flat = text.out.replace(/\s+/g, '');
    for (const want of ['個人番号廃棄証明書', '山田商事株式会社', '山田太郎（本人）', '山田花子（配偶者）', '対象者3名', '暗号学的消去', 'dk_0123456789abcdef', '一覧で残りがないことを確認', '破棄した鍵では復号できないことを確認', 'データベースの夜間バックアップ', '2034-02-11まで', '源泉徴収票（本人交付分）', 'この証明の対象外です', '所長花子', '担当一郎']) {
      expect(flat).toContain(want);
    }
    expect(text.out).not.toMatch(/上書き消去しました|overwritten/i);
    // no number of any kind: a certificate must never carry one (P6)
    const numbers = syntheticMyNumbers(1);
    expect(text.out).not.toMatch(STANDALONE_TWELVE_DIGITS);
    expect(text.out).not.toContain(numbers[0]);
  });

  it('when the signature is checked with GnuPG against the office public key, it verifies; a changed byte does not', async () => {
    const pdf = await certificatePdf(facts());
    const sig = await signDetached(pdf, office.privateKey);
    const home = path.join(dir, 'gnupg');
    fs.mkdirSync(home, { mode: 0o700 });
    const g = (args: string[], input?: Buffer) => run('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], input);
    expect(g(['--import'], Buffer.from(office.publicArmored)).status).toBe(0);
    fs.writeFileSync(path.join(dir, 'c.pdf'), pdf);
    fs.writeFileSync(path.join(dir, 'c.pdf.asc'), sig);
    const ok = g(['--status-fd', '1', '--verify', path.join(dir, 'c.pdf.asc'), path.join(dir, 'c.pdf')]);
    expect(ok.status).toBe(0);
    expect(ok.out).toContain(`VALIDSIG ${office.fingerprint.toUpperCase()}`);

    const tampered = Buffer.from(pdf);
    tampered[tampered.length - 20] ^= 1;
    fs.writeFileSync(path.join(dir, 'c.pdf'), tampered);
    expect(g(['--verify', path.join(dir, 'c.pdf.asc'), path.join(dir, 'c.pdf')]).status).not.toBe(0);

    const pub = await openpgp.readKey({ armoredKey: office.publicArmored });
    expect(await verifyDetached(pdf, sig, pub)).toBe(true);
    expect(await verifyDetached(tampered, sig, pub)).toBe(false);
  });

  it('when the office checks a certificate with `kinko certificate:verify`, a signed one is valid and a changed one is not', async () => {
    const dataDir = path.join(dir, 'kinko-data');
    fs.mkdirSync(dataDir);
    const env = { KINKO_DATA_DIR: dataDir };
    const database = await openDatabase(loadConfig(env).database);
    await migrateToLatest(database.db);
    await database.db.insertInto('office_keys').values({ fingerprint: office.fingerprint, public_key: office.publicArmored, created_at: new Date().toISOString() }).execute();
    await database.close();
    const pdf = await certificatePdf(facts({ copy: 'office', persons: [{ relation: '本人', token: 'ab'.repeat(16) }] }));
    fs.writeFileSync(path.join(dir, 'office.pdf'), pdf);
    fs.writeFileSync(path.join(dir, 'office.pdf.asc'), await signDetached(pdf, office.privateKey));
    const bin = path.resolve('bin/kinko.js');
    const good = run(process.execPath, [bin, 'certificate:verify', path.join(dir, 'office.pdf')], undefined, env);
    expect(good.out).toContain('署名は有効です');
    expect(good.status).toBe(0);
    pdf[pdf.length - 30] ^= 1;
    fs.writeFileSync(path.join(dir, 'office.pdf'), pdf);
    const bad = run(process.execPath, [bin, 'certificate:verify', path.join(dir, 'office.pdf')], undefined, env);
    expect(bad.status).toBe(1);
    expect(bad.out).toContain('署名が一致しません');
  }, 60_000);

  it('when the same facts are rendered twice, the PDF is the same bytes, so a signature is over exactly what the facts say', async () => {
    expect((await certificatePdf(facts())).equals(await certificatePdf(facts()))).toBe(true);
  });

  it('when a certificate would claim more than was verified, it is refused', () => {
    const refused = (over: Partial<CertificateFacts>) => expect(() => assertHonest(facts(over))).toThrow(DishonestCertificate);
    refused({ keyIds: [] }); // crypto-erase with no key destroyed
    refused({ decryptFailedAt: null }); // crypto-erase without the failed decrypt
    refused({ method: 'purge' }); // a purge naming destroyed keys
    refused({ stores: [{ store: 'vault', objects: 3, versions: 3, verifiedAt: '' }] });
    refused({ executor: { name: '所長 花子', role: '所長' } }); // one person approving and executing
    refused({ copy: 'office' }); // the office copy must hold tokens, never names
    refused({ persons: [{ relation: '本人', token: 'tok' }] }); // the client copy names people
    expect(() => assertHonest(facts({ copy: 'office', persons: [{ relation: '本人', token: '0f'.repeat(16) }] }))).not.toThrow();
    expect(() => assertHonest(facts({ method: 'purge', keyIds: [], decryptFailedAt: null }))).not.toThrow();
  });
});
