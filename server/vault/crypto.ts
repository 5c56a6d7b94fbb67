import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { isValidMyNumber } from '../mynumber/check-digit.js';
import { VaultKeyDamaged, VaultRecordDamaged } from './errors.js';
import { assertKey, assertNumber, isToken, KEY_BYTES, NONCE_BYTES, RECORD_BYTES, TAG_BYTES } from './record.js';

/**
 * The vault's cryptography (design §3), all from standard primitives:
 * node:crypto AES-256-GCM and HMAC-SHA256, and openpgp.js for wrapping keys
 * to the office key. Nothing here is hand-rolled.
 *
 * A number record is `nonce(12) ‖ ciphertext ‖ tag(16)`, AES-256-GCM under the
 * (company, cohort) data key with the token as associated data. P2: those
 * bytes are the whole object — no name, company id, version or other metadata
 * — and the object's key is the token, 128 random bits in hex. Binding the
 * token as associated data means a record copied or swapped onto another
 * token no longer decrypts: an attacker with write access to the bucket can
 * destroy records but cannot make kinko show person A's number as person B's.
 */
export { assertNumber, encryptRecord, isToken, KEY_BYTES, newToken, NONCE_BYTES, NUMBER_DIGITS, RECORD_BYTES, TAG_BYTES } from './record.js';

/** A fresh 32-byte key (data key or index key). The caller zeroes it when done. */
export function newRawKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/**
 * The number of a record, or VaultRecordDamaged: a flipped bit, a cut or
 * padded object, a record moved to another token, the wrong data key, or a
 * plaintext that is not a valid My Number all fail the same way.
 */
export function decryptRecord(dataKey: Buffer, token: string, bytes: Buffer): string {
  assertKey(dataKey);
  if (!isToken(token) || !Buffer.isBuffer(bytes) || bytes.length !== RECORD_BYTES) throw new VaultRecordDamaged();
  const nonce = bytes.subarray(0, NONCE_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(token, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new VaultRecordDamaged();
  }
  const number = plain.toString('latin1');
  plain.fill(0);
  if (!isValidMyNumber(number)) throw new VaultRecordDamaged();
  return number;
}

/**
 * The blind index of a number: HMAC-SHA256 with the company's index key,
 * base64url. Equal numbers of one company give equal indexes (ingest finds a
 * person already held); without the key — which exists only wrapped by the
 * office key — the index cannot be tested against the ~10^11 valid numbers.
 */
export function blindIndex(indexKey: Buffer, number: string): string {
  assertKey(indexKey);
  assertNumber(number);
  return createHmac('sha256', indexKey).update(number, 'latin1').digest('base64url');
}

// GnuPG 2.2 can open what it cannot parse as AEAD: keep the classic format,
// so a key holder could unwrap a data key with gpg in a disaster recovery.
const WRAP_CONFIG: openpgp.PartialConfig = { aeadProtect: false };

/** Wraps a raw key to the office public key: an armored OpenPGP message, the only form it is stored in (P4). */
export async function wrapKey(raw: Buffer, officePublicKey: openpgp.PublicKey): Promise<string> {
  assertKey(raw);
  const message = await openpgp.createMessage({ binary: new Uint8Array(raw) });
  return openpgp.encrypt({ message, encryptionKeys: officePublicKey, format: 'armored', config: WRAP_CONFIG });
}

/** The raw key inside a wrapped key, with the unlocked office key. Zero the result when done. */
export async function unwrapKey(armored: string, officeKey: openpgp.PrivateKey): Promise<Buffer> {
  let data: Uint8Array;
  try {
    const message = await openpgp.readMessage({ armoredMessage: armored });
    ({ data } = await openpgp.decrypt({ message, decryptionKeys: officeKey, format: 'binary', config: WRAP_CONFIG }));
  } catch {
    throw new VaultKeyDamaged();
  }
  const raw = Buffer.from(data);
  data.fill(0);
  if (raw.length !== KEY_BYTES) {
    raw.fill(0);
    throw new VaultKeyDamaged();
  }
  return raw;
}

