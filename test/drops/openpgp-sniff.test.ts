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
    expect(sniffOpenPgp(fromBrowser.subarray(0, 40), ids)).toBe('broken');
    expect(sniffOpenPgp(Buffer.alloc(0), ids)).toBe('plain');
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
