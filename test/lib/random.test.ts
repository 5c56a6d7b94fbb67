import { describe, expect, it } from '@jest/globals';
import { randomBytesPooled, randomId, randomStorageKey, randomString } from '../../server/lib/random.js';
import { isValidKey } from '../../storage-adapters/keys.js';
import { decryptRecord, encryptRecord, NONCE_BYTES, newToken, RECORD_BYTES } from '../../server/vault/crypto.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

/** Pooled OS CSPRNG draws (server/lib/random.ts): same formats as before, every byte handed out once. */
describe('pooled random draws', () => {
  it('keep their formats: randomId is base64url of N bytes, newToken 32 hex chars, a record nonce 12 bytes', () => {
    for (const n of [0, 1, 6, 9, 12, 16, 18, 24, 32, 64, 65, 200]) {
      const id = randomId(n);
      expect(id).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(n);
      expect(randomString(n, 'hex')).toMatch(new RegExp(`^[0-9a-f]{${2 * n}}$`));
      expect(randomBytesPooled(n)).toHaveLength(n);
    }
    expect(randomId()).toHaveLength(22);
    expect(newToken()).toMatch(/^[0-9a-f]{32}$/);
    const key = Buffer.alloc(32, 1);
    const [number] = syntheticMyNumbers(1, 9);
    const token = newToken();
    const record = encryptRecord(key, token, number!);
    expect(record).toHaveLength(RECORD_BYTES);
    expect(decryptRecord(key, token, record)).toBe(number);
    expect(encryptRecord(key, token, number!).subarray(0, NONCE_BYTES).equals(record.subarray(0, NONCE_BYTES))).toBe(false);
  });

  it('refuses a negative or fractional byte count', () => {
    expect(() => randomId(-1)).toThrow(RangeError);
    expect(() => randomBytesPooled(1.5)).toThrow(RangeError);
  });

  it('are unique over many draws, across several refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      seen.add(randomId());
      seen.add(newToken());
    }
    expect(seen.size).toBe(40_000);
  });

  it('never share bytes: consecutive draws are disjoint pieces of CSPRNG output, not overlapping windows', () => {
    // If a draw reused pool bytes (an off-by-n offset, a slice handed out twice),
    // some 8-byte window would repeat across draws; with fresh bytes that has
    // probability ~2^-40 here.
    const windows = new Set<string>();
    let total = 0;
    for (let i = 0; i < 3000; i++) {
      const b = i % 3 === 0 ? randomBytesPooled(12) : Buffer.from(i % 3 === 1 ? randomId(16) : newToken(), i % 3 === 1 ? 'base64url' : 'hex');
      for (let j = 0; j + 8 <= b.length; j++) {
        windows.add(b.subarray(j, j + 8).toString('hex'));
        total++;
      }
    }
    expect(windows.size).toBe(total);
  });

  it('hands out its own copy: changing a returned buffer does not change later draws', () => {
    const a = randomBytesPooled(16);
    const copy = Buffer.from(a);
    a.fill(0);
    const b = randomBytesPooled(16);
    expect(b.equals(Buffer.alloc(16))).toBe(false);
    expect(b.equals(copy)).toBe(false);
  });

  it('are not all zero (the pool is filled before the first draw and after each exhaustion)', () => {
    let zeroDraws = 0;
    for (let i = 0; i < 2000; i++) if (randomBytesPooled(12).equals(Buffer.alloc(12))) zeroDraws++;
    expect(zeroDraws).toBe(0);
  });

  it('give storage keys the storage rules accept, every time (a bare id starting with - or _ was refused: one collected submission in 32 failed with 500)', () => {
    for (const kind of ['d', 'b', 'c', 'i'] as const) {
      const bad = Array.from({ length: 5000 }, () => randomStorageKey(kind)).filter((k) => !isValidKey(k) || !k.startsWith(kind));
      expect(bad).toEqual([]);
    }
    // What the collected submissions used before: refused often enough to be seen in a run.
    expect(Array.from({ length: 5000 }, () => randomId(24)).some((k) => !isValidKey(k))).toBe(true);
  });
});
