import * as openpgp from 'openpgp';
import type { SymmetricName } from './seipd-writer.js';

/**
 * The part of a server-encrypted message that needs the office public key:
 * a fresh session key and the Public-Key Encrypted Session Key packet that
 * carries it to the office key (RFC 4880 §5.1), both made by openpgp.js
 * (generateSessionKey, encryptSessionKey). seipd-writer.ts writes what follows.
 *
 * The algorithm is the one openpgp.js's own encrypt would pick for this key
 * (AES-256 when the key lists it, else AES-128), but always for SEIPD v1:
 * a session key packet for AEAD (v2) would be unreadable to GnuPG 2.2, so any
 * AEAD suggestion from the key's features is left out.
 *
 * A message sealed to a passphrase instead (a year-end bundle for a client
 * without a key) starts with the Symmetric-Key Encrypted Session Key packet
 * (§5.3) openpgp.js makes for it — version 4, iterated and salted S2K with
 * openpgp.js's settings — and the algorithm openpgp.js's own encrypt uses
 * when there is no key to consult (its preferred one, AES-256).
 */
export interface MessageStart {
  /** The PKESK packet(s), the first bytes of the message. */
  head: Buffer;
  algorithm: SymmetricName;
  /** Raw session key; the caller zeroes it once the writer has it. */
  sessionKey: Uint8Array;
  date: Date;
}

const CONFIG: openpgp.PartialConfig = { aeadProtect: false };
const SUPPORTED: readonly string[] = ['aes128', 'aes192', 'aes256'] satisfies SymmetricName[];

/**
 * The message's recipient: a public key, or a passphrase. `s2kIterationCountByte`
 * (RFC 4880 §3.7.1.3's coded count) lowers openpgp.js's default stretching
 * (224: 16 MiB hashed, ≈ 20 ms per message here and longer in a browser) —
 * only for a passphrase with the entropy of a key, where stretching adds
 * nothing (a year-end bundle's: ≈ 173 random bits).
 */
export type MessageTo = openpgp.PublicKey | { passphrase: string; s2kIterationCountByte?: number };

export async function startMessage(to: MessageTo, date = new Date()): Promise<MessageStart> {
  const recipient = 'passphrase' in to ? { passwords: [to.passphrase] } : { encryptionKeys: to };
  const sk = await openpgp.generateSessionKey({ encryptionKeys: 'passphrase' in to ? [] : to, date, config: CONFIG });
  if (!SUPPORTED.includes(sk.algorithm)) throw new Error(`session-key algorithm ${sk.algorithm} not supported here`);
  const algorithm = sk.algorithm as SymmetricName;
  const count = 'passphrase' in to ? to.s2kIterationCountByte : undefined;
  const config = count === undefined ? CONFIG : { ...CONFIG, s2kIterationCountByte: count };
  const head = await openpgp.encryptSessionKey({ data: sk.data, algorithm, ...recipient, format: 'binary', date, config });
  return { head: Buffer.from(head), algorithm, sessionKey: sk.data, date };
}
