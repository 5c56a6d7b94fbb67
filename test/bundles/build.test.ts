import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import * as openpgp from 'openpgp';
import { buildBundles } from '../../server/bundles/build/build.js';
import { signedInAgent, csrfToken } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { everyCell, numbersIn, putInVault } from '../helpers/vault-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * Building the numbered bundles (issue 15 §3–4, §7) from a clean preview, as
 * a service (its route is not wired yet): one sealed bundle per destination,
 * whose 統一CSV holds exactly the vault's numbers in cols 95 and 99 for
 * exactly its people; one audit entry per bundle with purpose, destination,
 * count and person ids; no number anywhere in the database or the logs.
 */
describe('building the year-end bundles', () => {
  let t: TestApp;
  let office: Office;
  const [yamada, hanako, sato] = syntheticMyNumbers(3, 2727) as [string, string, string];

  beforeAll(async () => {
    t = await makeTestApp();
    office = await arrangeOffice(t.deps);
    await putInVault(t.deps, {
      companyId: office.company.id, unlockAs: office.director.id, passphrase: DIRECTOR.keyPassphrase,
      employees: [
        { number: yamada, name: '山田 太郎', employeeCode: '1001', dependents: [{ number: hanako, name: '山田 花子', relation: '配偶者' }] },
        { number: sato, name: '佐藤 次郎', employeeCode: '1002' },
      ],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const template = [
    '受給者番号,氏名,フリガナ,住所,支払金額,源泉徴収税額,提出先市町村コード,役員,士業,年末調整済,配偶者 氏名,配偶者 フリガナ',
    '1001,山田　太郎,ﾔﾏﾀﾞ ﾀﾛｳ,東京都府中市宮町１－２－３,6000000,100000,132063,いいえ,いいえ,はい,山田　花子,ﾔﾏﾀﾞ ﾊﾅｺ',
    '1002,佐藤　次郎,ｻﾄｳ ｼﾞﾛｳ,東京都千代田区丸の内１－１－１,3000000,50000,131016,いいえ,いいえ,はい,,',
  ].join('\r\n') + '\r\n';

  it('when the preview is clean, each destination gets one sealed bundle holding exactly the vault numbers of its people', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, Buffer.from(template, 'utf8')), '年末調整.csv');
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const base = `/room/${office.company.accessKey}/drops/${drop.id}/year-end`;
    const c1 = await csrfToken(client, base);
    expect((await client.post(base).type('form').send({ _csrf: c1, nenbun: '7' })).status).toBe(303);
    const { agent, sid } = await signedInAgent(t.app, t.deps, office.holder);
    const c2 = await csrfToken(agent, `/office/year-end/${drop.id}`);
    expect((await agent.post(`/office/year-end/${drop.id}/open`).type('form').send({ _csrf: c2, passphrase: STAFF_PASSPHRASE })).status).toBe(303);

    const actor = { userId: office.holder.id, role: 'staff' as const, keyHolder: true, sessionId: sid };
    const out = await buildBundles(t.deps, actor, drop.id, STAFF_PASSPHRASE);
    expect(out.passphrase).toMatch(/^([A-Za-z0-9]{5}-){5}[A-Za-z0-9]{5}$/);
    expect(out.bundles.map((b) => `${b.destination}:${b.municipalityCode ?? ''}:${b.rows}`)).toEqual(['tax-office::1', 'municipal:13101:1', 'municipal:13206:1', 'self-copy::2']);

    const rows = await t.deps.db.selectFrom('bundles').selectAll().orderBy('destination', 'desc').orderBy('municipality_code').execute();
    const filesOf = async (storedKey: string) => {
      const chunks: Buffer[] = [];
      for await (const c of await t.deps.storage.bundles.get(storedKey)) chunks.push(c as Buffer);
      const message = await openpgp.readMessage({ binaryMessage: Buffer.concat(chunks) });
      const { data } = await openpgp.decrypt({ message, passwords: [out.passphrase!], format: 'binary' });
      return unzipSync(data as Uint8Array);
    };
    const pdfText = (bytes: Uint8Array) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-build-pdf-'));
      try {
        fs.writeFileSync(path.join(dir, 'f.pdf'), bytes);
        return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', path.join(dir, 'f.pdf'), '-'], { encoding: 'utf8' });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const csvOf = async (storedKey: string) => {
      const files = await filesOf(storedKey);
      const csv = Object.entries(files).find(([n]) => n.endsWith('.csv'))!;
      return { cells: iconv.decode(Buffer.from(csv[1]), 'shift_jis').replace(/\r\n$/, '').split(','), manifest: JSON.parse(Buffer.from(files['manifest.json']!).toString()) };
    };
    const tax = await csvOf(rows.find((r) => r.destination === 'tax-office')!.stored_key);
    expect(tax.cells).toHaveLength(147);
    expect([tax.cells[94], tax.cells[98], tax.cells[146]]).toEqual([yamada, hanako, '2']);
    const chiyoda = await csvOf(rows.find((r) => r.municipality_code === '13101')!.stored_key);
    expect([chiyoda.cells[13], chiyoda.cells[94], chiyoda.cells[146]]).toEqual(['佐藤　次郎', sato, '1']);
    expect(numbersIn(JSON.stringify(chiyoda.manifest), [yamada, hanako, sato])).toEqual([]);

    // The printed slips carry the same numbers in their boxes; each 市区町村 has its 総括表.
    const taxFiles = await filesOf(rows.find((r) => r.destination === 'tax-office')!.stored_key);
    expect(Object.keys(taxFiles).sort()).toEqual(['gensen_R07_zeimusho.csv', 'gensen_R07_zeimusho.pdf', 'manifest.json']);
    const slip = pdfText(taxFiles['gensen_R07_zeimusho.pdf']!);
    expect(slip).toContain('税務署提出用');
    expect(slip).toContain('6,000,000');
    expect(numbersIn(slip, [yamada, hanako, sato]).sort()).toEqual([hanako, yamada].sort());
    const chiyodaFiles = await filesOf(rows.find((r) => r.municipality_code === '13101')!.stored_key);
    const soukatsu = pdfText(chiyodaFiles['soukatsu_R07_13101.pdf']!);
    expect(soukatsu).toContain('総括表');
    expect(soukatsu.replace(/\s+/g, '')).toContain('特別徴収普通徴収合計報告人員1人0人1人'); // the counts row under its headings: 特別 1, 普通 0, 合計 1

    // The employees' copies: one each and one combined, no number at all (no 12-digit run, none of the three).
    const own = await filesOf(rows.find((r) => r.destination === 'self-copy')!.stored_key);
    expect(Object.keys(own).sort()).toEqual(['honnin_R07_1001.pdf', 'honnin_R07_1002.pdf', 'honnin_R07_all.pdf', 'manifest.json']);
    for (const name of ['honnin_R07_1001.pdf', 'honnin_R07_1002.pdf', 'honnin_R07_all.pdf']) {
      const text = pdfText(own[name]!);
      expect(text).toContain('受給者交付用');
      expect(numbersIn(text, [yamada, hanako, sato])).toEqual([]);
      expect(text.replace(/\s+/g, '')).not.toMatch(/\d{12}/);
      expect(text).not.toMatch(/\d{12}/);
    }
    expect(pdfText(own['honnin_R07_1001.pdf']!)).toContain('山田');
    expect(pdfText(own['honnin_R07_all.pdf']!)).toContain('佐藤');

    const seals = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'bundles.seal').execute();
    expect(seals).toHaveLength(4);
    expect(seals.map((s) => s.purpose).sort()).toEqual(['源泉徴収票・支払調書', '給与支払報告書', '給与支払報告書', '源泉徴収票（本人交付）'].sort());
    expect(seals.find((s) => s.purpose === '源泉徴収票（本人交付）')!.target_ids).toBe('[]'); // it read no number
    const cells = await everyCell(t.deps);
    expect(cells.filter((c) => numbersIn(c.text, [yamada, hanako, sato]).length > 0)).toEqual([]);
    expect(numbersIn(t.logs.text, [yamada, hanako, sato])).toEqual([]);

    await expect(buildBundles(t.deps, actor, drop.id, STAFF_PASSPHRASE)).rejects.toMatchObject({ messageKey: 'bundles.build.errors.alreadyBuilt' });
  });
});
