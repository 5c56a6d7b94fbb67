import { beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { OpenPgpFraming, sniffOpenPgp, type OfficeRecipientIds } from '../../server/drops/openpgp-sniff.js';
import { browserEncrypt, fixture, gpgEncrypt, strangerKey, type TestOfficeKey } from './helpers.js';

/**
 * The hand-written packet-header reader behind "is this a message to the
 * office key?", checked against real output of openpgp.js and GnuPG.
 */
describe('drops: recognising OpenPGP messages without decrypting', () => {
  let office: TestOfficeKey;
  let ids: OfficeRecipientIds;
  let fromBrowser: Buffer;
  let fromGpg: Buffer;
  const plain = Buffer.concat([fixture('sample_list.pdf'), fixture('sample_roster.csv')]);

  beforeAll(async () => {
    office = await strangerKey();
    const sub = await office.publicKey.getEncryptionKey();
    ids = { keyIds: new Set([sub.getKeyID().toHex()]), fingerprints: new Set([sub.getFingerprint()]) };
    fromBrowser = await browserEncrypt(office.publicKey, plain);
    fromGpg = gpgEncrypt(office, plain);
  });

  const frame = async (chunks: Buffer[]) => {
    await pipeline(Readable.from(chunks), new OpenPgpFraming(), new Writable({ write: (_c, _e, cb) => cb() }));
  };
  const inPieces = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

  it('openpgp.js and GnuPG messages to the key are recognised from their first bytes', () => {
    expect(sniffOpenPgp(fromBrowser.subarray(0, 512), ids)).toBe('office');
    expect(sniffOpenPgp(fromGpg.subarray(0, 512), ids)).toBe('office');
  });

  it('the same messages for another key are "other-recipient"', async () => {
    const other = await strangerKey();
    const oids = { keyIds: new Set(['0123456789abcdef']), fingerprints: new Set<string>() };
    expect(sniffOpenPgp(fromBrowser, oids)).toBe('other-recipient');
    expect(sniffOpenPgp(await browserEncrypt(other.publicKey, plain), ids)).toBe('other-recipient');
  });

  it('plain files are "plain"; a head cut inside the session-key packets is "broken"', () => {
    for (const f of ['sample_list.pdf', 'sample_roster.csv', 'sample_title_rows.xlsx']) expect(sniffOpenPgp(fixture(f).subarray(0, 4096), ids)).toBe('plain');
    // Cut inside the first session-key packet: nothing recognisable yet.
    expect(sniffOpenPgp(fromBrowser.subarray(0, 40), ids)).toBe('plain');
    // A whole PKESK, then the head ends inside the next header: a damaged message.
    expect(sniffOpenPgp(fromBrowser.subarray(0, fromBrowser[1]! + 3), ids)).toBe('broken');
    expect(sniffOpenPgp(Buffer.alloc(0), ids)).toBe('plain');
  });

  it('Shift_JIS text whose first bytes look like packet headers (社 0x8E, 従 0x8F, ① 0x87, ﾒ 0xD2) is plain', () => {
    const sjis = (hexBytes: string) => Buffer.concat([Buffer.from(hexBytes.replace(/ /g, ''), 'hex'), Buffer.from(',E1,2019/04/01\r\n'.repeat(50))]);
    for (const h of ['8ed0 88f5 94d4 8d86', '8f5d 8bc6 88f5', '8740 8741', 'd2b0 b8de', 'c1aa', '8481 8482', 'a4a5']) {
      expect({ h, r: sniffOpenPgp(sjis(h), ids) }).toEqual({ h, r: 'plain' });
    }
  });

  it('a message encrypted without integrity protection (SED, tag 9) is "broken"', () => {
    // Replace the SEIPD header of the browser message (new format tag 18) by tag 9.
    const pkeskLen = fromBrowser[1]! + 2;
    const forged = Buffer.from(fromBrowser);
    forged[pkeskLen] = 0xc0 | 9;
    expect(sniffOpenPgp(forged, ids)).toBe('broken');
  });

  it('the framing check passes whole messages, in any chunking, and refuses cut or padded ones', async () => {
    for (const m of [fromBrowser, fromGpg]) {
      await expect(frame([m])).resolves.toBeUndefined();
      await expect(frame(inPieces(m, 1))).resolves.toBeUndefined();
      await expect(frame(inPieces(m, 777))).resolves.toBeUndefined();
      await expect(frame([m.subarray(0, m.length - 1)])).rejects.toThrow();
      await expect(frame([m, Buffer.from([0])])).rejects.toThrow();
    }
  });
});
