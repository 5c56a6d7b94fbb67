import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import * as openpgp from 'openpgp';
import { randomReadable } from '../../lib/random.js';

/**
 * One destination's files → one archive → one OpenPGP message, signed with
 * the office key and encrypted to the client's registered public key, or to
 * a passphrase kinko generated (design §3 Seals). Everything here happens in
 * memory: the archive holds numbers and is never written; only the sealed
 * message leaves this function. openpgp.js does all of the cryptography;
 * AEAD stays off so that GnuPG 2.2 opens it (toolchain.md).
 *
 * The archive is a plain zip (stored, no compression): the 統一CSV inside
 * must unwrap byte for byte as its destination expects (year-end.md §9), and
 * a zip is what the client's Windows opens without tools.
 */
export interface BundleFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export type Recipient = { kind: 'client-key'; publicKey: openpgp.PublicKey } | { kind: 'passphrase'; passphrase: string };

export interface Sealed {
  readonly message: Uint8Array;
  readonly sha256: string;
}

export function fileEntry(f: BundleFile): { name: string; size: number; sha256: string } {
  return { name: f.name, size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') };
}

const CONFIG: openpgp.PartialConfig = { aeadProtect: false, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed };

export async function sealBundle(files: readonly BundleFile[], archiveName: string, signingKey: openpgp.PrivateKey, to: Recipient): Promise<Sealed> {
  const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, [f.bytes, { level: 0 }]])), { mtime: new Date('2000-01-01T00:00:00Z') });
  try {
    const message = await openpgp.createMessage({ binary: zip, filename: archiveName, format: 'binary' });
    const sealed = (await openpgp.encrypt({
      message,
      signingKeys: signingKey,
      ...(to.kind === 'client-key' ? { encryptionKeys: to.publicKey } : { passwords: [to.passphrase] }),
      format: 'binary',
      config: CONFIG,
    })) as Uint8Array;
    return { message: sealed, sha256: createHash('sha256').update(sealed).digest('hex') };
  } finally {
    zip.fill(0);
  }
}

/**
 * A passphrase for a client without a key, read out by phone or written on
 * paper: 6 groups of 5 from randomReadable's alphabet without look-alikes
 * (55 letters and digits, ≈ 173 bits). Shown once to staff and never stored.
 */
export function bundlePassphrase(): string {
  return Array.from({ length: 6 }, () => randomReadable(5)).join('-');
}
