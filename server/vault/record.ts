import { createCipheriv, randomFillSync } from 'node:crypto';
import { randomBytesPooled, randomString } from '../lib/random.js';

/**
 * Sealing one number record (design §3): `nonce(12) ‖ ciphertext ‖ tag(16)`,
 * AES-256-GCM (node:crypto) under the (company, cohort) data key with the
 * token as associated data. This file needs nothing but node:crypto and the
 * CSPRNG pool, so the seal worker thread (seal-worker.ts) runs exactly this
 * code without loading openpgp.js; crypto.ts re-exports it with the rest of
 * the vault's cryptography.
 */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const NUMBER_DIGITS = 12;
/** Every record has exactly this size (the plaintext is always 12 ASCII digits). */
export const RECORD_BYTES = NONCE_BYTES + NUMBER_DIGITS + TAG_BYTES;

const TOKEN = /^[0-9a-f]{32}$/;
const NUMBER = /^[0-9]{12}$/;
const TOKEN_CHARS = 32;
const HEX_RUN = /^[0-9a-f]*$/;
const DIGIT_RUN = /^[0-9]*$/;

/** A fresh vault token: 128 random bits as 32 hex chars, a valid storage key on every adapter. */
export function newToken(): string {
  // Pooled OS CSPRNG bytes (lib/random.ts): one ingest draws ~25,000 tokens and as many nonces.
  return randomString(16, 'hex');
}

export function isToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** Throws without echoing the value: an error message must never carry a number (P3). */
export function assertNumber(number: string): void {
  if (typeof number !== 'string' || !NUMBER.test(number)) throw new TypeError('a My Number must be 12 ASCII digits');
}

export function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new TypeError('a vault key must be 32 bytes');
}

export function encryptRecord(dataKey: Buffer, token: string, number: string): Buffer {
  assertKey(dataKey);
  if (!isToken(token)) throw new TypeError('not a vault token');
  assertNumber(number);
  // A random 96-bit nonce per record; one key seals at most a few hundred
  // thousand records, far below the 2^32 bound for random GCM nonces. From
  // the pooled OS CSPRNG (lib/random.ts): each pooled byte is handed out once.
  const nonce = randomBytesPooled(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(token, 'latin1')); // the token is ASCII hex: latin1 = utf8 here
  // Assembled in place (one allocation): nonce ‖ ciphertext ‖ tag.
  const record = Buffer.allocUnsafe(RECORD_BYTES);
  nonce.copy(record, 0);
  const body = cipher.update(number, 'latin1');
  if (body.length !== NUMBER_DIGITS || cipher.final().length !== 0) throw new Error('unexpected AES-GCM output length');
  body.copy(record, NONCE_BYTES);
  cipher.getAuthTag().copy(record, NONCE_BYTES + NUMBER_DIGITS);
  return record;
}

/**
 * encryptRecord for many records at once, the same bytes record by record:
 * `tokens` holds n tokens (32 ASCII hex characters each) and `numbers` n
 * numbers (12 ASCII digits each), one after another; the records go to `out`
 * in the same order. Checked once for the whole batch, nonces drawn in one
 * CSPRNG call, no allocation per record: an ingest seals ~25,000 at a time.
 */
export function encryptRecordsInto(dataKey: Buffer, tokens: Buffer, numbers: Buffer, out: Buffer): void {
  assertKey(dataKey);
  const n = tokens.length / TOKEN_CHARS;
  if (!Number.isInteger(n) || numbers.length !== n * NUMBER_DIGITS) throw new RangeError('numbers and tokens differ in count');
  if (out.length !== n * RECORD_BYTES) throw new RangeError('records do not fit');
  if (!HEX_RUN.test(tokens.toString('latin1'))) throw new TypeError('not a vault token');
  if (!DIGIT_RUN.test(numbers.toString('latin1'))) throw new TypeError('a My Number must be 12 ASCII digits');
  const nonces = randomFillSync(Buffer.alloc(n * NONCE_BYTES));
  for (let i = 0; i < n; i++) {
    const at = i * RECORD_BYTES;
    const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(tokens.subarray(i * TOKEN_CHARS, (i + 1) * TOKEN_CHARS));
    nonce.copy(out, at);
    const body = cipher.update(numbers.subarray(i * NUMBER_DIGITS, (i + 1) * NUMBER_DIGITS));
    if (body.length !== NUMBER_DIGITS || cipher.final().length !== 0) throw new Error('unexpected AES-GCM output length');
    body.copy(out, at + NONCE_BYTES);
    cipher.getAuthTag().copy(out, at + NONCE_BYTES + NUMBER_DIGITS);
  }
}
