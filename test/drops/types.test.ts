import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { text } from 'node:stream/consumers';
import XLSX from '@e965/xlsx';
import * as openpgp from 'openpgp';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import {
  EXE,
  PNG,
  allFiles,
  browserEncrypt,
  clientInRoom,
  dropRows,
  fixture,
  gpgDecrypt,
  gpgEncrypt,
  installOfficeKey,
  plainZip,
  storedObjects,
  strangerKey,
  type RoomClient,
  type TestOfficeKey,
} from './helpers.js';

/**
 * What the drop room accepts: OpenPGP messages to the office key as they
 * are, and xlsx/xls/csv/pdf from clients without JavaScript, encrypted by the
 * server on the way in (P1). Everything else is refused with a plain message,
 * whatever name and Content-Type it claims, and nothing is kept.
 */
describe('drops: what is accepted and how it is stored', () => {
  let t: TestApp;
  let office: TestOfficeKey;
  let c: RoomClient;

  beforeAll(async () => {
    t = await makeTestApp();
    office = await installOfficeKey(t.deps);
    c = await clientInRoom(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const upload = (name: string, data: Buffer, type = 'application/octet-stream') =>
    c.agent
      .post(`${c.base}/drops`)
      .set('X-CSRF-Token', c.csrf)
      .set('Accept', 'application/json')
      .attach('files', data, { filename: name, contentType: type });

  async function storedBytes(dropId: string): Promise<Buffer> {
    const row = await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', dropId).executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const ch of await t.deps.storage.drops.get(row.stored_key)) chunks.push(ch as Buffer);
    return Buffer.concat(chunks);
  }

  function xlsBytes(): Buffer {
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['氏名', '社員番号'], ['山田 太郎', 'E1']]), 'Sheet1');
    return XLSX.write(wb, { bookType: 'xls', type: 'buffer' }) as Buffer;
  }

  it.each([
    ['sample_title_rows.xlsx', () => fixture('sample_title_rows.xlsx')],
    ['sample_roster.csv', () => fixture('sample_roster.csv')],
    ['sample_list.pdf', () => fixture('sample_list.pdf')],
    ['legacy.xls', () => xlsBytes()],
  ])('when a client without JavaScript sends %s, the server stores an OpenPGP message that GnuPG decrypts to the exact bytes', async (name, bytes) => {
    const plain = bytes();
    const res = await upload(name, plain, 'text/plain');
    expect(res.status).toBe(201);
    const [d] = res.body.drops;
    expect(d.receipt.fileName).toBe(name);
    const cipher = await storedBytes(d.receipt.dropId);
    expect(cipher.equals(plain)).toBe(false);
    expect(d.receipt.size).toBe(cipher.length);
    expect(d.receipt.sha256).toBe(createHash('sha256').update(cipher).digest('hex'));
    // It parses as an OpenPGP message addressed to the office key...
    const msg = await openpgp.readMessage({ binaryMessage: cipher });
    expect(msg.getEncryptionKeyIDs().map((k) => k.toHex())).toContain((await office.publicKey.getEncryptionKey()).getKeyID().toHex());
    // ...and GnuPG, given the office secret key, gets back exactly what was sent.
    expect(gpgDecrypt(office, cipher).equals(plain)).toBe(true);
    const row = await t.deps.db.selectFrom('drops').select(['kind', 'state']).where('id', '=', d.receipt.dropId).executeTakeFirstOrThrow();
    expect(row).toEqual({ kind: 'server-encrypted', state: 'received' });
  });

  it('a Shift_JIS (CP932) CSV whose header starts with 社員番号 is a plain CSV, not mistaken for OpenPGP', async () => {
    // 社員番号,氏名 in CP932: 0x8E starts it, which reads like an old-format OpenPGP packet header.
    const plain = Buffer.concat([Buffer.from('8ed088f594d48d862c8e8196bc0d0a', 'hex'), Buffer.from('E00001,TEST\r\n'.repeat(20))]);
    const res = await upload('社員名簿_sjis.csv', plain, 'text/csv');
    expect(res.status).toBe(201);
    expect(gpgDecrypt(office, await storedBytes(res.body.drops[0].receipt.dropId)).equals(plain)).toBe(true);
  });

  it('after server-side encryption, nothing in the data folder holds the plaintext (P1)', async () => {
    const marker = `KINKO-PLAINTEXT-${Date.now()}-あいうえお`;
    const plain = Buffer.from(`社員番号,氏名\nE9,${marker}\n`.repeat(500));
    expect((await upload('marker.csv', plain)).status).toBe(201);
    const needles = [Buffer.from(marker), Buffer.from('196654287076')];
    // the roster fixture's first number was uploaded above as well
    for (const f of allFiles(t.dataDir)) {
      const content = fs.readFileSync(f);
      for (const n of needles) expect({ file: f, found: content.includes(n) }).toEqual({ file: f, found: false });
    }
  });

  it('when the browser encrypted the file to the office key (openpgp.js), it is stored byte for byte as sent', async () => {
    const plain = fixture('sample_title_rows.xlsx');
    const cipher = await browserEncrypt(office.publicKey, plain);
    const res = await upload('従業員名簿.xlsx', cipher);
    expect(res.status).toBe(201);
    const d = res.body.drops[0];
    expect((await storedBytes(d.receipt.dropId)).equals(cipher)).toBe(true);
    expect(d.receipt.sha256).toBe(createHash('sha256').update(cipher).digest('hex'));
    const row = await t.deps.db.selectFrom('drops').select('kind').where('id', '=', d.receipt.dropId).executeTakeFirstOrThrow();
    expect(row.kind).toBe('client-encrypted');
    expect(gpgDecrypt(office, cipher).equals(plain)).toBe(true);
  });

  it('a message GnuPG encrypted to the office key (old-format headers, partial lengths) is accepted as is', async () => {
    const plain = Buffer.concat([fixture('sample_list.pdf'), fixture('sample_list.pdf')]);
    const cipher = gpgEncrypt(office, plain);
    const res = await upload('list.pdf.gpg', cipher);
    expect(res.status).toBe(201);
    expect((await storedBytes(res.body.drops[0].receipt.dropId)).equals(cipher)).toBe(true);
  });

  describe('refused, with nothing kept', () => {
    let before: { objects: number; rows: number };
    beforeAll(async () => {
      before = { objects: (await storedObjects(t)).objects.length, rows: await dropRows(t) };
    });
    afterAll(async () => {
      const after = await storedObjects(t);
      expect(after.objects.length).toBe(before.objects);
      expect(after.temp).toEqual([]);
      expect(await dropRows(t)).toBe(before.rows);
    });

    it.each([
      ['an executable named .xlsx with a spreadsheet Content-Type', 'report.xlsx', () => EXE, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'drops.errors.typeMismatch'],
      ['an executable named .exe', 'setup.exe', () => EXE, 'application/octet-stream', 'drops.errors.unsupportedType'],
      ['a zip that is not a workbook, named .xlsx', 'book.xlsx', () => plainZip(), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'drops.errors.typeMismatch'],
      ['a zip named .zip', 'files.zip', () => plainZip(), 'application/zip', 'drops.errors.unsupportedType'],
      ['a PNG named .csv with Content-Type text/csv', 'list.csv', () => PNG, 'text/csv', 'drops.errors.typeMismatch'],
      ['a PNG named .pdf', 'scan.pdf', () => PNG, 'application/pdf', 'drops.errors.typeMismatch'],
      ['a PNG named .png', 'photo.png', () => PNG, 'image/png', 'drops.errors.unsupportedType'],
      ['a PDF named .xls', 'sheet.xls', () => fixture('sample_list.pdf'), 'application/vnd.ms-excel', 'drops.errors.typeMismatch'],
    ])('%s → 415 with a plain Japanese message', async (_what, name, bytes, type, code) => {
      const res = await upload(name, bytes(), type);
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe(code.replace(/^errors\./, ''));
      expect(res.body.error.message).toMatch(/何も保存されていません/);
    });

    it('random binary → refused', async () => {
      const res = await upload('data.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
      expect(res.status).toBe(415);
    });

    it('a message encrypted to another key → 415 "not to the office key"', async () => {
      const other = await strangerKey();
      const res = await upload('roster.xlsx', await browserEncrypt(other.publicKey, fixture('sample_title_rows.xlsx')));
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('drops.errors.notForOffice');
      expect(res.body.error.message).toContain('事務所の鍵');
    });

    it('a message to the office key cut short → 400 "damaged", not stored truncated', async () => {
      const cipher = await browserEncrypt(office.publicKey, Buffer.concat([fixture('sample_list.pdf'), fixture('sample_list.pdf')]));
      const res = await upload('cut.pdf', cipher.subarray(0, cipher.length - 100));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('drops.errors.brokenMessage');
    });

    it('a message to the office key with bytes appended → 400', async () => {
      const cipher = await browserEncrypt(office.publicKey, fixture('sample_roster.csv'));
      const res = await upload('padded.csv', Buffer.concat([cipher, Buffer.from('trailing')]));
      expect(res.status).toBe(400);
    });

    it('an ASCII-armored message named .csv → 415 asking for the binary form', async () => {
      const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'x' }), encryptionKeys: office.publicKey });
      const res = await upload('roster.csv', Buffer.from(armored as string));
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('drops.errors.armored');
    });

    it('an empty file → 400', async () => {
      const res = await upload('empty.csv', Buffer.alloc(0));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('drops.errors.empty');
    });

    it('one refused file among good ones → the whole request is refused and the good ones are not kept', async () => {
      const res = await c.agent
        .post(`${c.base}/drops`)
        .set('X-CSRF-Token', c.csrf)
        .set('Accept', 'application/json')
        .attach('files', fixture('sample_roster.csv'), 'a.csv')
        .attach('files', fixture('sample_list.pdf'), 'b.pdf')
        .attach('files', EXE, 'c.xlsx');
      expect(res.status).toBe(415);
    });
  });

  it('the stored message is readable with the office key through openpgp.js too (what ingest will do)', async () => {
    const plain = fixture('sample_roster.csv');
    const res = await upload('roster.csv', plain);
    const cipher = await storedBytes(res.body.drops[0].receipt.dropId);
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: cipher }), decryptionKeys: office.privateKey, format: 'binary' });
    expect(Buffer.from(data as Uint8Array).equals(plain)).toBe(true);
    expect(await text((await t.deps.storage.drops.get((await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', res.body.drops[0].receipt.dropId).executeTakeFirstOrThrow()).stored_key)) as never)).not.toContain('社員番号');
  });
});
