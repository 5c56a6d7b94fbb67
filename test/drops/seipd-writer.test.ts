import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { encryptToOffice, type EncryptMode } from '../../server/drops/encrypt-stream.js';
import { encryptThreadCount } from '../../server/drops/encrypt-thread.js';
import { startMessage } from '../../server/lib/seipd-message.js';
import { PART_BYTES, SeipdV1Writer } from '../../server/lib/seipd-writer.js';
import { decryptDrop } from '../../server/ingest/decrypt.js';
import { gpgWithOfficeKey, officeKeyPair, type TestOfficeKey } from './helpers.js';
import { prng } from '../helpers/prng.js';

/**
 * Plain uploads are encrypted by kinko's own packet writer (seipd-writer.ts:
 * OpenSSL AES-CFB and SHA-1, framed by hand), so what it writes is checked
 * against the two readers that matter on every run: GnuPG (2.2 must read it —
 * SEIPD v1 with MDC) and openpgp.js (kinko's ingest, decrypt.ts). Both must
 * give back the exact bytes at every size where the framing changes, and
 * both must refuse every damaged copy: a flipped bit anywhere in the
 * encrypted packet, or a message cut short at any point.
 */


/** `plain` as a stream of irregular pieces (1 byte to 96 KiB), as sockets and busboy hand them over. */
function pieces(plain: Buffer, seed: number): Readable {
  const rnd = prng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < plain.length; ) {
    const n = Math.min(plain.length - at, rnd() < 0.2 ? 1 + Math.floor(rnd() * 16) : 1 + Math.floor(rnd() * 96 * 1024));
    out.push(plain.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out, { objectMode: false });
}

async function encrypt(plain: Buffer, mode: EncryptMode, seed = plain.length): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await encryptToOffice(pieces(plain, seed), office.publicKey, mode)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function openpgpDecrypt(cipher: Buffer): Promise<Buffer> {
  const message = await openpgp.readMessage({ binaryMessage: cipher });
  const { data } = await openpgp.decrypt({ message, decryptionKeys: office.privateKey, format: 'binary', config: { allowUnauthenticatedStream: false } });
  return Buffer.from(data as Uint8Array);
}

/** kinko's ingest decrypt (in-process up to 2 MiB, a decrypt process above). */
const kinkoDecrypt = (cipher: Buffer) => decryptDrop(Readable.from([cipher]), office.privateKey, 64 * 1024 * 1024, cipher.length);

let office: TestOfficeKey;
let gpg: ReturnType<typeof gpgWithOfficeKey>;

beforeAll(async () => {
  office = await officeKeyPair();
  gpg = gpgWithOfficeKey(office);
});
afterAll(() => gpg.close());

describe('server-side encryption of plain uploads (SEIPD v1 packet writer)', () => {
  // Where the framing changes: literal body = 6 header octets + data; SEIPD body = 53 octets + data while one part.
  const SIZES: Array<[string, number]> = [
    ['empty', 0],
    ['1 byte', 1],
    ['literal length 191 (1-octet length)', 185],
    ['literal length 192 (2-octet length)', 186],
    ['literal length 8383 (last 2-octet length)', 8377],
    ['literal length 8384 (5-octet length)', 8378],
    ['SEIPD body exactly one part', PART_BYTES - 53],
    ['SEIPD body one part + 1 octet', PART_BYTES - 52],
    ['literal body exactly one part', PART_BYTES - 6],
    ['literal body one part + 1 octet', PART_BYTES - 5],
    ['1 MiB', PART_BYTES],
    ['two parts − 1', 2 * PART_BYTES - 7],
    ['several MiB', 5 * PART_BYTES + 12_345],
  ];

  for (const mode of ['thread', 'inline'] as const) {
    it.each(SIZES)(`(${mode}) %s: GnuPG and openpgp.js both read back the exact bytes`, async (_name, size) => {
      const plain = randomBytes(size);
      const cipher = await encrypt(plain, mode);
      const g = gpg.decrypt(cipher);
      expect(g.stderr).toBe('');
      expect(g.status).toBe(0);
      expect(g.stdout.equals(plain)).toBe(true);
      expect((await openpgpDecrypt(cipher)).equals(plain)).toBe(true);
    });
  }

  it('what it writes is SEIPD version 1 with the session key for the office key only, readable by kinko’s ingest above 2 MiB too', async () => {
    const plain = randomBytes(3 * PART_BYTES + 7);
    const cipher = await encrypt(plain, 'thread');
    const message = await openpgp.readMessage({ binaryMessage: cipher });
    const seipd = message.packets.filterByTag(openpgp.enums.packet.symEncryptedIntegrityProtectedData);
    expect(seipd).toHaveLength(1);
    expect((seipd[0] as unknown as { version: number }).version).toBe(1);
    expect(message.packets.filterByTag(openpgp.enums.packet.aeadEncryptedData)).toHaveLength(0);
    const encKeyId = (await office.publicKey.getEncryptionKey()).getKeyID().toHex();
    expect(message.getEncryptionKeyIDs().map((k) => k.toHex())).toEqual([encKeyId]);
    expect((await kinkoDecrypt(cipher)).equals(plain)).toBe(true);
    // ...and it came from an encryption thread, not the fallback on this thread.
    expect(encryptThreadCount()).toBeGreaterThan(0);
  });

  // encryptToOffice hands the writer part-aligned chunks; any other caller may not.
  it.each([0, 5, PART_BYTES - 6, PART_BYTES - 5, PART_BYTES + 1, 3 * PART_BYTES + 999])('the writer fed irregular pieces directly (%i bytes, parts cut across pieces) writes a message both read back exactly', async (size) => {
    const plain = randomBytes(size);
    const start = await startMessage(office.publicKey);
    const writer = new SeipdV1Writer(start.algorithm, start.sessionKey, start.date);
    const parts: Buffer[] = [start.head];
    for await (const piece of pieces(plain, size + 1)) parts.push(...writer.write(piece as Buffer));
    parts.push(...writer.end());
    const cipher = Buffer.concat(parts);
    const g = gpg.decrypt(cipher, { statusLines: true });
    expect(g.status).toBe(0);
    expect(g.stderr).toMatch(/^\[GNUPG:\] DECRYPTION_OKAY$/m);
    expect(g.stdout.equals(plain)).toBe(true);
    expect((await openpgpDecrypt(cipher)).equals(plain)).toBe(true);
  });

  it('two uploads of the same bytes give different ciphertexts (fresh session key and random prefix each)', async () => {
    const plain = Buffer.from('社員番号,氏名\nE1,山田 太郎\n');
    const [a, b] = [await encrypt(plain, 'thread'), await encrypt(plain, 'thread')];
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(b.length);
  });
});

describe('damaged messages are refused by GnuPG and by kinko’s decrypt', () => {
  interface Case {
    name: string;
    plain: Buffer;
    cipher: Buffer;
    /** Where the packet kinko writes begins (after openpgp.js's session-key packet). */
    seipdAt: number;
    /** Where the length of the SEIPD packet's last part begins, and its size in octets. */
    lastLengthAt: number;
    lastLengthBytes: number;
  }
  const cases: Case[] = [];

  beforeAll(async () => {
    for (const [name, size] of [
      ['a small file (one part)', 3000],
      ['a file over one part (partial lengths in both packets)', PART_BYTES + 4000],
    ] as const) {
      const plain = randomBytes(size);
      const cipher = await encrypt(plain, 'thread');
      const message = await openpgp.readMessage({ binaryMessage: cipher });
      const seipdAt = message.packets.filterByTag(openpgp.enums.packet.publicKeyEncryptedSessionKey).write().length;
      // [tag][0xF4 + 2^20 octets]* [last length][rest]: the last length follows the full parts.
      let lastLengthAt = seipdAt + 1;
      while (cipher[lastLengthAt] === 0xe0 + 20 && lastLengthAt + 1 + PART_BYTES < cipher.length) lastLengthAt += 1 + PART_BYTES;
      const rest = cipher.length - lastLengthAt;
      const lastLengthBytes = rest - 1 < 192 ? 1 : rest - 2 < 8384 ? 2 : 5;
      cases.push({ name, plain, cipher, seipdAt, lastLengthAt, lastLengthBytes });
    }
  });

  type Outcome = 'refused' | 'no plaintext' | 'the original bytes' | 'OTHER BYTES';

  function gpgOutcome(c: Case, damaged: Buffer): Outcome {
    const g = gpg.decrypt(damaged, { statusLines: true });
    if (g.status !== 0) return 'refused';
    if (!/^\[GNUPG:\] DECRYPTION_OKAY$/m.test(g.stderr)) return g.stdout.length === 0 ? 'no plaintext' : 'OTHER BYTES';
    return g.stdout.equals(c.plain) ? 'the original bytes' : 'OTHER BYTES';
  }

  async function kinkoOutcome(c: Case, damaged: Buffer): Promise<Outcome> {
    return kinkoDecrypt(damaged).then(
      (p) => (p.equals(c.plain) ? 'the original bytes' : 'OTHER BYTES'),
      () => 'refused',
    );
  }

  /**
   * Every damaged copy must be refused by both — with two exceptions that are
   * GnuPG's own reading, not a weakness of what kinko writes, and are pinned
   * here exactly: gpg reads the last part of a partial-length packet to the
   * end of the input and does not use its length octets, so a flip there
   * leaves it decrypting the authentic bytes (MDC good); and a message cut
   * before its encrypted packet begins (inside or right after the session-key
   * packet) holds no encrypted data, which gpg ends with status 0 but no
   * DECRYPTION_OKAY and no output. kinko's decrypt
   * refuses both. Nowhere may either reader return other bytes as good.
   */
  async function expectRefused(c: Case, damaged: Buffer, what: string, gpgMayIgnore: boolean): Promise<void> {
    const g = gpgOutcome(c, damaged);
    const k = await kinkoOutcome(c, damaged);
    const gpgOk = g === 'refused' || (gpgMayIgnore && g !== 'OTHER BYTES');
    if (!gpgOk || k !== 'refused') throw new Error(`${what}: gpg → ${g}, kinko's decrypt → ${k}`);
  }

  it('a flipped bit anywhere in the encrypted packet (headers, lengths, prefix, data, MDC) → both refuse', async () => {
    const rnd = prng(17);
    let tried = 0;
    for (const c of cases) {
      const end = c.cipher.length;
      const at = new Set<number>();
      // Framing and the first blocks, the last blocks (MDC), around the last part's length, and random spots.
      for (let i = 0; i < 48; i++) at.add(c.seipdAt + i);
      for (let i = 1; i <= 40; i++) at.add(end - i);
      for (let i = -3; i <= 8; i++) at.add(c.lastLengthAt + i);
      for (let i = 0; i < 30; i++) at.add(c.seipdAt + Math.floor(rnd() * (end - c.seipdAt)));
      for (const pos of at) {
        const bit = Math.floor(rnd() * 8);
        const damaged = Buffer.from(c.cipher);
        damaged[pos]! ^= 1 << bit;
        const inLastLength = pos >= c.lastLengthAt && pos < c.lastLengthAt + c.lastLengthBytes;
        await expectRefused(c, damaged, `${c.name} with bit ${bit} of byte ${pos} flipped`, inLastLength);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(200);
  }, 120_000);

  it('a message cut short at any point (inside a packet, at a part boundary, one byte before the end) → both refuse, nothing partial counts as success', async () => {
    const rnd = prng(29);
    let tried = 0;
    for (const c of cases) {
      const end = c.cipher.length;
      const cuts = new Set<number>([1, c.seipdAt - 1, c.seipdAt, c.seipdAt + 1, c.seipdAt + 2, c.seipdAt + 21, end - 1, end - 2, end - 21, end - 22, end - 23]);
      for (let i = -2; i <= 2; i++) cuts.add(c.lastLengthAt + i);
      for (let i = 0; i < 25; i++) cuts.add(1 + Math.floor(rnd() * (end - 1)));
      for (const n of cuts) {
        await expectRefused(c, c.cipher.subarray(0, n), `${c.name} cut to ${n} of ${end} bytes`, n <= c.seipdAt);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(60);
  }, 120_000);
});
