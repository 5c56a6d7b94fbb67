import { describe, expect, it } from '@jest/globals';
import { decryptRecord, newRawKey, newToken, NONCE_BYTES, RECORD_BYTES } from '../../server/vault/crypto.js';
import { VaultRecordDamaged } from '../../server/vault/errors.js';
import { OFF_THREAD_FROM, prepareSealWorker, sealRecords } from '../../server/vault/seal-records.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

/**
 * Sealing many records at once (an ingest commit): large batches are sealed
 * on a worker thread so the main thread can prepare the rows meanwhile. The
 * records must be exactly what encryptRecord makes, one by one.
 */
function recordAt(records: Buffer, i: number): Buffer {
  return records.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
}

/** Longest gap between event-loop turns while `work` runs: how long the main thread was held. */
async function longestHold<T>(work: () => Promise<T>): Promise<{ value: T; holdMs: number; totalMs: number }> {
  let last = performance.now();
  let holdMs = 0;
  let running = true;
  const tick = () => {
    const t = performance.now();
    holdMs = Math.max(holdMs, t - last);
    last = t;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const value = await work();
  const totalMs = performance.now() - started;
  await new Promise((resolve) => setImmediate(resolve)); // the turn after the work counts too
  running = false;
  return { value, holdMs, totalMs };
}

describe.each([
  ['a small batch, sealed on the main thread', 50],
  ['a large batch, sealed on a worker thread', OFF_THREAD_FROM + 1000],
])('%s', (_name, count) => {
  const numbers = syntheticMyNumbers(count, 31);
  const tokens = numbers.map(() => newToken());

  it('every record opens under its own token to its own number, with a nonce of its own', async () => {
    const key = newRawKey();
    const records = await sealRecords(key, tokens, numbers);
    expect(records.length).toBe(count * RECORD_BYTES);
    const nonces = new Set<string>();
    for (let i = 0; i < count; i++) {
      expect(decryptRecord(key, tokens[i]!, recordAt(records, i))).toBe(numbers[i]);
      nonces.add(recordAt(records, i).subarray(0, NONCE_BYTES).toString('hex'));
    }
    expect(nonces.size).toBe(count);
    // A record moved onto another person's token does not open.
    expect(() => decryptRecord(key, tokens[1]!, recordAt(records, 0))).toThrow(VaultRecordDamaged);
    // The caller's key is left as it was (the sealer works on its own copy).
    expect(key.equals(Buffer.alloc(32))).toBe(false);
  });

  it('a value that is not 12 digits is refused as a whole, and the error does not quote it', async () => {
    const bad = [...numbers];
    bad[count - 1] = `${numbers[0]!.slice(0, 11)}X`;
    const err = (await sealRecords(newRawKey(), tokens, bad).then(() => new Error('sealed'), (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).not.toContain(numbers[0]!.slice(0, 11));
  });

  it('a token that is not a vault token (upper-case hex, too short) is refused as a whole', async () => {
    for (const bad of [tokens[0]!.toUpperCase(), tokens[0]!.slice(1)]) {
      const list = [...tokens];
      list[count - 1] = bad;
      const err = (await sealRecords(newRawKey(), list, numbers).then(() => new Error('sealed'), (e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(TypeError);
    }
  });
});

describe('sealing a large batch', () => {
  it('leaves the main thread free while the records are sealed', async () => {
    const count = 20_000;
    const numbers = syntheticMyNumbers(count, 5);
    const tokens = numbers.map(() => newToken());
    await sealRecords(newRawKey(), tokens.slice(0, OFF_THREAD_FROM), numbers.slice(0, OFF_THREAD_FROM)); // worker script built
    const { value, holdMs, totalMs } = await longestHold(() => sealRecords(newRawKey(), tokens, numbers));
    expect(value.length).toBe(count * RECORD_BYTES);
    // Sealed here, the thread would be held for (nearly) the whole time.
    expect(holdMs).toBeLessThan(totalMs / 2);
  });

  it('on the spare thread an ingest start makes ready, and again after it is used up, the records are the same format', async () => {
    const count = OFF_THREAD_FROM * 2;
    const numbers = syntheticMyNumbers(count, 9);
    for (let round = 0; round < 2; round++) {
      prepareSealWorker();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the spare starts and warms up meanwhile
      const key = newRawKey();
      const tokens = numbers.map(() => newToken());
      const records = await sealRecords(key, tokens, numbers);
      for (const i of [0, count >> 1, count - 1]) expect(decryptRecord(key, tokens[i]!, recordAt(records, i))).toBe(numbers[i]);
    }
  });
});
