import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import * as openpgp from 'openpgp';
import { sealBundle, type BundleFile, type Recipient } from '../../server/bundles/seal/seal.js';
import { sealStreamed } from '../../server/bundles/seal/seal-stream.js';
import { prng } from '../helpers/prng.js';

/**
 * The seal as kinko writes it (sealer.ts: openpgp.js's session-key packet and
 * signature, kinko's SEIPD v1 packet writer) must be what openpgp.js's own
 * sign+encrypt made before: GnuPG opens it and names the office key's good
 * signature, for both kinds of recipient; openpgp.js (the room's in-browser
 * open) decrypts and verifies it; the packets are the ones openpgp.js writes.
 * A damaged or cut copy is refused, never opened as something else. The
 * streamed seal keeps its back-pressure: a slow store holds the files back,
 * and a store that fails stops them.
 */
function gpg(home: string, args: string[], input?: Buffer) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--status-fd', '2', ...args], { input, env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000, maxBuffer: 64 << 20 });
}
const PASSPHRASE = 'aaaaa-bbbbb-ccccc-ddddd-eeeee-fffff';
/** PDF-like pieces: ~32 KiB of random bytes each, 40 of them (over one 1 MiB part of the message). */
const FILES: BundleFile[] = Array.from({ length: 40 }, (_, i) => ({ name: `honnin/${i}.pdf`, bytes: randomBytes(28_000 + i * 211) }));
const manifestOf = (entries: unknown[]) => Buffer.from(JSON.stringify({ files: entries }));
async function* filesOf(list: BundleFile[]): AsyncGenerator<BundleFile> {
  yield* list;
}
async function collect(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

let home: string;
let office: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey; fingerprint: string };
let client: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey };
let toKey: Recipient;
const toPassphrase: Recipient = { kind: 'passphrase', passphrase: PASSPHRASE };

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-seal-stream-'));
  fs.chmodSync(home, 0o700);
  const o = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'テスト事務所' }], format: 'object' });
  office = { ...o, fingerprint: o.publicKey.getFingerprint().toUpperCase() };
  client = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: '株式会社テスト商事' }], format: 'object' });
  toKey = { kind: 'client-key', publicKey: client.publicKey };
  expect(gpg(home, ['--import'], Buffer.from(office.publicKey.armor())).status).toBe(0);
  expect(gpg(home, ['--import'], Buffer.from(client.privateKey.armor())).status).toBe(0);
});
afterAll(() => {
  spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
  fs.rmSync(home, { recursive: true, force: true });
});

async function streamed(to: Recipient, files = FILES): Promise<{ message: Buffer; size: number; sha256: string }> {
  let message: Buffer = Buffer.alloc(0);
  const sealed = await sealStreamed(filesOf(files), 'kinko_R07_honnin.zip', office.privateKey, to, manifestOf, async (body) => {
    message = await collect(body);
  });
  return { message, size: sealed.size, sha256: sealed.sha256 };
}
const opener = (to: Recipient) => (to.kind === 'passphrase' ? { passwords: [PASSPHRASE] } : { decryptionKeys: client.privateKey });
/** As static/js/bundle-open.js opens a bundle: openpgp.js, the office key to verify, a signature required. */
async function openpgpOpen(message: Uint8Array, to: Recipient): Promise<Uint8Array> {
  const out = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: message }), ...opener(to), verificationKeys: office.publicKey, expectSigned: true, format: 'binary' });
  return out.data as Uint8Array;
}
function expectFiles(zip: Uint8Array, files = FILES) {
  // An independent reader checks every entry's CRC-32 (fflate's unzip does not): Python's zipfile.
  const crc = spawnSync('python3', ['-c', 'import sys, zipfile, io; z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); print(z.testzip() or "ok", len(z.namelist()))'], { input: Buffer.from(zip) });
  expect(crc.stdout.toString().trim()).toBe(`ok ${files.length + 1}`);
  const entries = unzipSync(zip);
  for (const f of files) expect(Buffer.from(entries[f.name]!).equals(f.bytes)).toBe(true);
  expect(Object.keys(entries)).toHaveLength(files.length + 1);
}
/** The packets inside the encrypted packet: [tag, what openpgp.js reads of it]. */
async function inner(message: Uint8Array, to: Recipient) {
  const m = await openpgp.readMessage({ binaryMessage: message });
  const outer = m.packets.map((p) => [(p.constructor as unknown as { tag: number }).tag, (p as unknown as { version: number }).version]);
  const d = await m.decrypt(to.kind === 'client-key' ? [client.privateKey] : undefined, to.kind === 'passphrase' ? [PASSPHRASE] : undefined);
  const s2k = (m.packets[0] as unknown as { s2k?: { type: string } }).s2k?.type;
  const packets = d.packets.map((p) => {
    const q = p as unknown as Record<string, unknown>;
    return [(p.constructor as unknown as { tag: number }).tag, q.version ?? null, q.hashAlgorithm ?? null, q.signatureType ?? null, q.filename ?? null];
  });
  // The signature packet after the literal one is read as openpgp.js verifies it.
  const out = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: message }), ...opener(to), verificationKeys: office.publicKey, expectSigned: true, format: 'binary' });
  const sig = (await out.signatures[0]!.signature).packets[0]!;
  const signature = [out.signatures.length, sig.version, sig.signatureType, sig.hashAlgorithm, sig.publicKeyAlgorithm, sig.issuerKeyID.toHex()];
  return { outer, s2k, packets, signature };
}

describe.each([
  ['a passphrase', () => toPassphrase],
  ["the client's key", () => toKey],
] as const)('a bundle sealed to %s', (_kind, to) => {
  it('gpg --decrypt opens the streamed seal and reports the office key’s good signature; openpgp.js decrypts and verifies it', async () => {
    const { message, size, sha256 } = await streamed(to());
    expect(size).toBe(message.length);
    expect(sha256).toBe(createHash('sha256').update(message).digest('hex'));
    const args = to().kind === 'passphrase' ? ['--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, '--decrypt'] : ['--decrypt'];
    const g = gpg(home, args, message);
    const status = g.stderr.toString();
    expect(g.status).toBe(0);
    expect(status).toContain('[GNUPG:] GOODSIG');
    expect(status).toContain(`[GNUPG:] VALIDSIG ${office.fingerprint}`);
    expect(status).toMatch(/^\[GNUPG:\] DECRYPTION_OKAY$/m);
    expect(status).toContain('[GNUPG:] PLAINTEXT 62 '); // binary, with the archive's name
    expect(status).toContain('kinko_R07_honnin.zip');
    expectFiles(new Uint8Array(g.stdout));
    expectFiles(await openpgpOpen(message, to()));
    // No file's bytes are in the clear.
    expect(message.includes(Buffer.from(FILES[3]!.bytes.subarray(0, 64)))).toBe(false);
  }, 60_000);

  it('its packets are those openpgp.js’s own sign+encrypt writes (SEIPD v1; one-pass signature, named literal, signature)', async () => {
    const small: BundleFile[] = [{ name: 'a.csv', bytes: Buffer.from('315,東京都\r\n') }];
    const ours = await sealBundle(small, 'kinko_R07_x.zip', office.privateKey, to());
    const reference = (await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: Buffer.from('x'), filename: 'kinko_R07_x.zip' }),
      signingKeys: office.privateKey,
      ...(to().kind === 'client-key' ? { encryptionKeys: client.publicKey } : { passwords: [PASSPHRASE] }),
      format: 'binary',
      config: { aeadProtect: false, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
    })) as Uint8Array;
    const [a, b] = [await inner(ours.message, to()), await inner(reference, to())];
    expect(a).toEqual(b);
    expect(a.outer.at(-1)).toEqual([openpgp.enums.packet.symEncryptedIntegrityProtectedData, 1]);
    expect(a.packets.map((p) => p[0])).toEqual([openpgp.enums.packet.onePassSignature, openpgp.enums.packet.literalData]);
    expect(a.signature).toEqual([1, 4, openpgp.enums.signature.binary, expect.any(Number), openpgp.enums.publicKey.eddsaLegacy, office.publicKey.getKeyID().toHex()]);
    if (to().kind === 'passphrase') {
      expect(a.s2k).toBe('iterated');
      // kinko's own passphrase (≈ 173 bits) is stretched lightly: 65,536 bytes hashed, not openpgp.js's 16 MiB.
      const skesk = (await openpgp.readMessage({ binaryMessage: ours.message })).packets[0] as unknown as { s2k: { c: number } };
      expect(skesk.s2k.c).toBe(96);
    }
    const g = gpg(home, to().kind === 'passphrase' ? ['--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, '--decrypt'] : ['--decrypt'], Buffer.from(ours.message));
    expect(g.status).toBe(0);
    expect(g.stderr.toString()).toContain(`[GNUPG:] VALIDSIG ${office.fingerprint}`);
  }, 60_000);
});

describe('a damaged bundle is refused by openpgp.js', () => {
  async function refused(damaged: Buffer, to: Recipient): Promise<boolean> {
    return openpgpOpen(damaged, to).then(
      () => false,
      () => true,
    );
  }

  it.each([
    ["the client's key", 60, 40],
    ['a passphrase', 12, 10],
  ] as const)('sealed to %s: a flipped bit anywhere (session key, framing, prefix, signature, data, MDC) or a cut at any point is refused', async (kind, flips, cuts) => {
    const to = kind === 'a passphrase' ? toPassphrase : toKey;
    const { message } = await streamed(to);
    expect((await openpgpOpen(message, to)).length).toBeGreaterThan(1 << 20);
    const rnd = prng(kind.length);
    const at = new Set<number>();
    // The session-key packet and the encrypted packet's start; the end (signature, MDC); random spots.
    for (let i = 0; i < flips / 3; i++) at.add(Math.floor(rnd() * 200));
    for (let i = 1; i <= flips / 3; i++) at.add(message.length - Math.ceil(rnd() * 300));
    while (at.size < flips) at.add(Math.floor(rnd() * message.length));
    const wrong: string[] = [];
    for (const pos of at) {
      const damaged = Buffer.from(message);
      damaged[pos]! ^= 1 << Math.floor(rnd() * 8);
      if (!(await refused(damaged, to))) wrong.push(`bit flipped at ${pos}`);
    }
    const cutAt = new Set([1, 100, message.length - 1, message.length - 22, message.length - 150]);
    while (cutAt.size < cuts) cutAt.add(1 + Math.floor(rnd() * (message.length - 1)));
    for (const n of cutAt) if (!(await refused(message.subarray(0, n), to))) wrong.push(`cut to ${n} of ${message.length}`);
    expect(wrong).toEqual([]);
  }, 120_000);

  it('a bundle signed with another key is refused when the office key is required (the in-browser open)', async () => {
    const other = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: '偽の事務所' }], format: 'object' });
    const sealed = await sealBundle(FILES.slice(0, 2), 'kinko_R07_x.zip', other.privateKey, toPassphrase);
    await expect(openpgpOpen(sealed.message, toPassphrase)).rejects.toThrow(/sign/i);
  }, 60_000);
});

describe('the streamed seal’s back-pressure', () => {
  /** 60 files of 512 KiB: 30 MiB, several times what may wait (8 MiB). */
  const big: BundleFile[] = Array.from({ length: 60 }, (_, i) => ({ name: `p${i}.pdf`, bytes: randomBytes(512 << 10) }));

  it('a slow store holds the files back: what was made and not yet stored stays within a few MiB', async () => {
    let made = 0;
    let stored = 0;
    let ahead = 0;
    async function* counted(): AsyncGenerator<BundleFile> {
      for (const f of big) {
        ahead = Math.max(ahead, made - stored);
        made += f.bytes.length;
        yield f;
      }
    }
    const parts: Buffer[] = [];
    await sealStreamed(counted(), 'x.zip', office.privateKey, toKey, manifestOf, async (body) => {
      for await (const c of body) {
        stored += (c as Buffer).length;
        parts.push(c as Buffer);
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    expect(ahead).toBeLessThan(16 << 20);
    expect(ahead).toBeGreaterThan(0);
    expectFiles(await openpgpOpen(Buffer.concat(parts), toKey), big);
  }, 60_000);

  it('a store that fails stops the files and the seal rejects (no hang, no more files made)', async () => {
    let made = 0;
    async function* counted(): AsyncGenerator<BundleFile> {
      for (const f of big) {
        made++;
        yield f;
      }
    }
    const run = sealStreamed(counted(), 'x.zip', office.privateKey, toPassphrase, manifestOf, async (body) => {
      let n = 0;
      for await (const c of body) if ((n += (c as Buffer).length) > 3 << 20) throw new Error('store went away');
    });
    await expect(run).rejects.toThrow('store went away');
    expect(made).toBeLessThan(big.length);
  }, 60_000);
});
