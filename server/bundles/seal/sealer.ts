import type * as openpgp from 'openpgp';
import { startMessage } from '../../lib/seipd-message.js';
import { SeipdV1Writer } from '../../lib/seipd-writer.js';
import { startSignature, type OnePassSigner } from './one-pass-signature.js';

/**
 * One sealed bundle as it is written: the OpenPGP message a client opens,
 * with the packets openpgp.js's sign-and-encrypt writes (AEAD off,
 * uncompressed) — the session-key packet (PKESK to the client's key, or SKESK
 * to the passphrase; seipd-message.ts), then a SEIPD v1 packet holding the
 * office's one-pass signature packet, the literal packet with the archive's
 * file name, and the signature packet (one-pass-signature.ts), then the MDC.
 *
 * openpgp.js makes every key, session key and signature; kinko's packet
 * writer (server/lib/seipd-writer.ts, shared with uploads: OpenSSL AES-CFB and
 * SHA-1) frames and encrypts, because openpgp.js's streaming encrypt of the
 * same packets cost most of the time (bench/README.md, Year-end bundles).
 *
 * `write` is synchronous and returns the ciphertext ready so far; the
 * signature's hash runs behind it (openpgp.js streams), so a caller that
 * writes much waits on `room` now and then. `end` returns the rest.
 */
/**
 * S2K count for a bundle's passphrase: coded 96 = 65,536 bytes hashed. The
 * passphrase is always kinko's own (bundlePassphrase: ≈ 173 random bits), so
 * guessing it is out of reach whatever the count; openpgp.js's default (16 MiB
 * per message) cost ≈ 0.5 s of a 25-bundle build and makes the client's
 * in-browser open wait as long. GnuPG accepts any count.
 */
const GENERATED_PASSPHRASE_S2K = 96;

export type Recipient = { kind: 'client-key'; publicKey: openpgp.PublicKey } | { kind: 'passphrase'; passphrase: string };

export interface Sealer {
  /** The next bytes of the archive; they are held by reference until encrypted and hashed. */
  write(bytes: Uint8Array): Buffer[];
  /** Resolves when the signature's hash has caught up enough for more. */
  room(): Promise<void>;
  end(): Promise<Buffer[]>;
  /** Abandons the message (the bundle failed): the signature stops, nothing more is written. */
  fail(err: unknown): void;
}

const CONFIG: openpgp.PartialConfig = { aeadProtect: false };

export async function startSeal(archiveName: string, signingKey: openpgp.PrivateKey, to: Recipient, queued: number, date = new Date()): Promise<Sealer> {
  const signer: OnePassSigner = await startSignature(signingKey, to.kind === 'client-key' ? [to.publicKey] : [], date, CONFIG, queued);
  let writer: SeipdV1Writer;
  let head: Buffer[];
  try {
    const start = await startMessage(to.kind === 'client-key' ? to.publicKey : { passphrase: to.passphrase, s2kIterationCountByte: GENERATED_PASSPHRASE_S2K }, date);
    try {
      writer = new SeipdV1Writer(start.algorithm, start.sessionKey, date, { fileName: archiveName, leading: signer.onePass });
    } finally {
      start.sessionKey.fill(0);
    }
    head = [start.head];
  } catch (err) {
    signer.fail(err);
    throw err;
  }
  let failed = false;
  return {
    write: (bytes) => {
      if (failed || bytes.length === 0) return [];
      signer.write(bytes);
      const out = writer.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (head.length === 0) return out;
      out.unshift(...head);
      head = [];
      return out;
    },
    room: () => signer.room(),
    end: async () => {
      const signature = await signer.end();
      return [...head.splice(0), ...writer.end(signature)];
    },
    fail: (err) => {
      failed = true;
      signer.fail(err);
    },
  };
}
