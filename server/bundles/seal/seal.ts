import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import type * as openpgp from 'openpgp';
import { randomReadable } from '../../lib/random.js';
import { startSeal, type Recipient } from './sealer.js';

export type { Recipient } from './sealer.js';

/**
 * One destination's files → one archive → one OpenPGP message, signed with
 * the office key and encrypted to the client's registered public key, or to
 * a passphrase kinko generated (design §3 Seals). Everything here happens in
 * memory: the archive holds numbers and is never written; only the sealed
 * message leaves this function. openpgp.js makes the keys, the session key
 * and the signature; kinko's packet writer encrypts (sealer.ts); AEAD stays
 * off so that GnuPG 2.2 opens it (toolchain.md).
 *
 * The archive is a plain zip (stored, no compression): the 統一CSV inside
 * must unwrap byte for byte as its destination expects (year-end.md §9), and
 * a zip is what the client's Windows opens without tools.
 */
export interface BundleFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface Sealed {
  readonly message: Uint8Array;
  readonly sha256: string;
}

export function fileEntry(f: BundleFile): { name: string; size: number; sha256: string } {
  return { name: f.name, size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') };
}

export async function sealBundle(files: readonly BundleFile[], archiveName: string, signingKey: openpgp.PrivateKey, to: Recipient): Promise<Sealed> {
  const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, [f.bytes, { level: 0 }]])), { mtime: new Date('2000-01-01T00:00:00Z') });
  try {
    const sealer = await startSeal(archiveName, signingKey, to, zip.length + 1);
    const parts = sealer.write(zip);
    parts.push(...(await sealer.end()));
    const message = Buffer.concat(parts);
    return { message, sha256: createHash('sha256').update(message).digest('hex') };
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
