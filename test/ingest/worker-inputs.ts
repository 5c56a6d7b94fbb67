import { expect } from '@jest/globals';
import { ParseError } from '../../server/ingest/parse/errors.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

/** Inputs and an assertion shared by the parse-worker suites (worker.test.ts, pool.test.ts). */

/** A one-person CSV. */
export function smallCsv(seed: number): Buffer {
  const [n] = syntheticMyNumbers(1, seed);
  return Buffer.from(`氏名,個人番号\n山田 太郎,${n}\n`);
}

/** A CSV of `rows` persons, to keep a worker busy. */
export function bigCsv(rows: number, seed: number): Buffer {
  const numbers = syntheticMyNumbers(rows, seed);
  return Buffer.from(['氏名,個人番号', ...numbers.map((n, i) => `社員${i},${n}`)].join('\n'));
}

/** The ParseError a parse rejects with (fails the test if it resolves or throws something else). */
export async function failure(p: Promise<unknown>): Promise<ParseError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ParseError);
  return e as ParseError;
}
