import type { ParseResult } from '../parse/types.js';

/**
 * How the worker's answer crosses to the main thread. A roster's result is
 * tens of thousands of small records (persons, review rows) of a handful of
 * shapes; structured clone would write every record's property names and
 * rebuild every object in the main thread's deserializer, which blocks its
 * event loop ~50 ms for 25,000 numbers. Packed, each list is its shapes
 * (ordered key lists) plus one flat array of values, and the main thread
 * rebuilds the same objects — same keys in the same order, same values,
 * nested objects (a person's relation) shared exactly as before, since the
 * values array carries them and structured clone keeps identity — in a
 * tight loop.
 */
export interface PackedRows {
  shapes: string[][];
  shapeOf: number[];
  values: unknown[];
}

export type PackedResult = Omit<ParseResult, 'persons' | 'review'> & { persons: PackedRows; review: PackedRows };

// Record keys are the names in types.ts; anything else (`__proto__` …) is refused on the way in.
const KEY = /^[A-Za-z]{1,40}$/;

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function packRows(rows: readonly object[]): PackedRows {
  const shapes: string[][] = [];
  const ids = new Map<string, number>();
  const shapeOf: number[] = [];
  const values: unknown[] = [];
  let last = -1;
  for (const r of rows) {
    const row = r as Record<string, unknown>;
    const keys = Object.keys(row);
    // Neighbouring records mostly share their shape: compare with the last one before looking it up.
    let id = last >= 0 && sameKeys(shapes[last]!, keys) ? last : ids.get(keys.join(','));
    if (id === undefined) {
      id = shapes.push(keys) - 1;
      ids.set(keys.join(','), id);
    }
    last = id;
    shapeOf.push(id);
    for (const k of keys) values.push(row[k]);
  }
  return { shapes, shapeOf, values };
}

export function unpackRows<T>(packed: PackedRows): T[] {
  const { shapes, shapeOf, values } = packed;
  if (!shapes.every((keys) => keys.every((k) => KEY.test(k)))) throw new TypeError('unexpected record key');
  const out: T[] = [];
  let j = 0;
  for (const shape of shapeOf) {
    const keys = shapes[shape];
    if (!keys) throw new TypeError('unknown record shape');
    const row: Record<string, unknown> = {};
    for (const k of keys) row[k] = values[j++];
    out.push(row as T);
  }
  if (j !== values.length) throw new TypeError('record values do not add up');
  return out;
}

export function packResult(result: ParseResult): PackedResult {
  return { ...result, persons: packRows(result.persons), review: packRows(result.review) };
}

export function unpackResult(packed: PackedResult): ParseResult {
  return { ...packed, persons: unpackRows(packed.persons), review: unpackRows(packed.review) };
}
