import { beforeAll, describe, expect, it } from '@jest/globals';
import * as openpgp from 'openpgp';
import { generateOfficeKey } from '../../server/keys/office-key.js';
import {
  blindIndex,
  decryptRecord,
  encryptRecord,
  isToken,
  newRawKey,
  newToken,
  RECORD_BYTES,
  unwrapKey,
  wrapKey,
} from '../../server/vault/crypto.js';
import { VaultKeyDamaged, VaultRecordDamaged } from '../../server/vault/errors.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

const [n1, n2] = syntheticMyNumbers(2, 7);

describe('vault records (AES-256-GCM, token as associated data)', () => {
  const key = newRawKey();

  it('a record round-trips, is exactly nonce ‖ ciphertext ‖ tag (40 bytes) and never repeats', () => {
    const token = newToken();
    const a = encryptRecord(key, token, n1!);
    const b = encryptRecord(key, token, n1!);
    expect(a.length).toBe(RECORD_BYTES);
    expect(RECORD_BYTES).toBe(12 + 12 + 16);
    expect(a.equals(b)).toBe(false); // a fresh nonce per record
    expect(decryptRecord(key, token, a)).toBe(n1);
    expect(decryptRecord(key, token, b)).toBe(n1);
    expect(a.toString('latin1')).not.toContain(n1!);
  });

  it('tokens are 128 random bits as 32 lowercase hex characters', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(isToken('../etc/passwd')).toBe(false);
    expect(isToken('A'.repeat(32))).toBe(false);
  });

  it('every single flipped bit anywhere in the record is detected', () => {
    const token = newToken();
    const rec = encryptRecord(key, token, n1!);
    for (let byte = 0; byte < rec.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(rec);
        bad[byte]! ^= 1 << bit;
        expect(() => decryptRecord(key, token, bad)).toThrow(VaultRecordDamaged);
      }
    }
  });

  it('a truncated, extended or empty record is detected', () => {
    const token = newToken();
    const rec = encryptRecord(key, token, n1!);
    for (const bad of [rec.subarray(0, rec.length - 1), rec.subarray(0, 28), Buffer.alloc(0), Buffer.concat([rec, Buffer.from([0])])]) {
      expect(() => decryptRecord(key, token, bad)).toThrow(VaultRecordDamaged);
    }
  });

  it('records swapped between tokens, or read with another key, do not decrypt', () => {
    const [ta, tb] = [newToken(), newToken()];
    const a = encryptRecord(key, ta, n1!);
    const b = encryptRecord(key, tb, n2!);
    expect(() => decryptRecord(key, tb, a)).toThrow(VaultRecordDamaged);
    expect(() => decryptRecord(key, ta, b)).toThrow(VaultRecordDamaged);
    expect(() => decryptRecord(newRawKey(), ta, a)).toThrow(VaultRecordDamaged);
  });

  it('a record whose plaintext is not a valid My Number counts as damaged', () => {
    const token = newToken();
    const notValid = `${n1!.slice(0, 11)}${(Number(n1![11]) + 1) % 10}`;
    expect(() => decryptRecord(key, token, encryptRecord(key, token, notValid))).toThrow(VaultRecordDamaged);
  });

  it('the error messages never contain the number', () => {
    for (const bad of ['12345678901', '1234-5678-9018', '']) {
      try {
        encryptRecord(key, newToken(), bad);
        throw new Error('accepted');
      } catch (e) {
        expect((e as Error).message).not.toContain(bad || 'x');
      }
    }
  });
});

describe('the blind index (HMAC-SHA256 with the company index key)', () => {
  it('is stable per key, differs between keys and numbers, and is base64url', () => {
    const k1 = newRawKey();
    const k2 = newRawKey();
    expect(blindIndex(k1, n1!)).toBe(blindIndex(k1, n1!));
    expect(blindIndex(k1, n1!)).not.toBe(blindIndex(k2, n1!));
    expect(blindIndex(k1, n1!)).not.toBe(blindIndex(k1, n2!));
    expect(blindIndex(k1, n1!)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('wrapping keys to the office key (P4)', () => {
  let office: Awaited<ReturnType<typeof generateOfficeKey>>;
  let other: Awaited<ReturnType<typeof generateOfficeKey>>;
  beforeAll(async () => {
    [office, other] = await Promise.all([generateOfficeKey('事務所', 'office-pass-phrase-1'), generateOfficeKey('別の事務所', 'office-pass-phrase-2')]);
  });

  it('a wrapped key is an armored OpenPGP message that only the unlocked office key opens', async () => {
    const raw = newRawKey();
    const wrapped = await wrapKey(Buffer.from(raw), await openpgp.readKey({ armoredKey: office.publicKeyArmored }));
    expect(wrapped).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(wrapped).not.toContain(raw.toString('base64'));
    const locked = await openpgp.readPrivateKey({ armoredKey: office.lockedPrivateKeyArmored });
    const unlocked = await openpgp.decryptKey({ privateKey: locked, passphrase: 'office-pass-phrase-1' });
    expect((await unwrapKey(wrapped, unlocked)).equals(raw)).toBe(true);

    // Without the passphrase: the locked key cannot open it…
    await expect(openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: wrapped }), decryptionKeys: locked })).rejects.toThrow();
    await expect(unwrapKey(wrapped, locked)).rejects.toBeInstanceOf(VaultKeyDamaged);
    // …nor can another office's key, nor a wrong passphrase unlock the copy.
    const foreign = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: other.lockedPrivateKeyArmored }), passphrase: 'office-pass-phrase-2' });
    await expect(unwrapKey(wrapped, foreign)).rejects.toBeInstanceOf(VaultKeyDamaged);
    await expect(openpgp.decryptKey({ privateKey: locked, passphrase: 'guess' })).rejects.toThrow();
  });

  it('a damaged wrapped key is reported as such', async () => {
    const unlocked = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: office.lockedPrivateKeyArmored }), passphrase: 'office-pass-phrase-1' });
    const wrapped = await wrapKey(newRawKey(), await openpgp.readKey({ armoredKey: office.publicKeyArmored }));
    const bad = wrapped.replace(/\n([A-Za-z0-9+/]{10})/, (_m, g: string) => `\n${g.split('').reverse().join('')}`);
    await expect(unwrapKey(bad, unlocked)).rejects.toBeInstanceOf(VaultKeyDamaged);
  });
});

describe('the scanner the P3 tests rely on', () => {
  it('finds a number in every written form: separators, full width, integer and float bytes', async () => {
    const { numbersIn, numbersInBytes } = await import('../helpers/vault-office.js');
    const { variants } = await import('../helpers/mynumber.js');
    for (const v of variants(n1!)) expect(numbersIn(`氏名: 山田 ${v} 様`, [n1!, n2!])).toEqual([n1]);
    expect(numbersIn(`${n1!.slice(0, 4)}ー${n1!.slice(4, 8)}　${n1!.slice(8)}`, [n1!])).toEqual([n1]);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64BE(BigInt(n2!));
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(Number(n2!));
    for (const b of [i64, i64.subarray(2), f64, Buffer.from(n2!, 'utf16le')]) expect(numbersInBytes(Buffer.concat([Buffer.from('xx'), b, Buffer.from('yy')]), [n1!, n2!])).toEqual([n2]);
    expect(numbersIn('nothing here 123456789010', [n1!, n2!])).toEqual([]);
  });
});
