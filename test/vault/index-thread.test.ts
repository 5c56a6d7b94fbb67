import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { blindIndex } from '../../server/vault/crypto.js';
import { blindIndexesOnThread, OFF_THREAD_INDEXES } from '../../server/vault/index-thread.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

/** Issue 12 item 10: a large file's blind indexes are computed off the main thread — and are the same indexes. */
describe('blind indexes on a thread', () => {
  it('gives exactly blindIndex for every number of a large file', async () => {
    const key = randomBytes(32);
    const numbers = syntheticMyNumbers(OFF_THREAD_INDEXES + 10, 31);
    const indexes = await blindIndexesOnThread(key, numbers);
    expect(indexes).toEqual(numbers.map((n) => blindIndex(key, n)));
  });

  it('declines a value that is not 12 digits (the main thread then applies blindIndex\'s own check)', async () => {
    expect(await blindIndexesOnThread(randomBytes(32), ['123456789018', '１２３４５６７８９０１８'])).toBeNull();
  });
});
