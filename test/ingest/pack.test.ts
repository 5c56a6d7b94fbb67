import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { resolveLimits } from '../../server/ingest/parse/limits.js';
import { parseBytes } from '../../server/ingest/parse/parse-bytes.js';
import { packResult, packRows, unpackResult, unpackRows } from '../../server/ingest/worker/pack.js';

/** The worker's answer, packed for the trip to the main thread, comes back exactly as it was built. */
const here = path.dirname(fileURLToPath(import.meta.url));

/** What a message does to a value: structured clone. */
const cross = <T>(x: T): T => v8.deserialize(v8.serialize(x)) as T;

/** A value as text with its keys in order and every object seen before written as a back-reference: equal texts, same structure and sharing. */
function layout(x: unknown): string {
  const seen = new Map<object, number>();
  return JSON.stringify(x, function (this: unknown, _k: string, v: unknown) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v === undefined ? '(undefined)' : v;
    const id = seen.get(v);
    if (id !== undefined) return `(same as #${id})`;
    seen.set(v, seen.size);
    return v;
  });
}

describe('packed parse results', () => {
  it('rebuild the same records: keys in order, optional keys absent, shared nested objects shared', () => {
    const self = { kind: 'self' };
    const rows = [
      { sheet: 'S', row: 2, column: 'B', relation: self, name: 'a', number: '1' },
      { sheet: 'S', row: 3, column: 'B', furigana: 'ア', relation: self, name: 'b', number: '2' },
      { sheet: 'S', row: 4, column: 'D', relation: { kind: 'dependent', index: 1 }, name: 'c', employeeName: 'a', number: '3' },
    ];
    const back = unpackRows<(typeof rows)[number]>(cross(packRows(rows)));
    expect(back).toEqual(rows);
    expect(back.map((r) => Object.keys(r))).toEqual(rows.map((r) => Object.keys(r)));
    expect(back[0]!.relation).toBe(back[1]!.relation);
    expect(layout(back)).toBe(layout(rows));
  });

  it('a real result makes the round trip unchanged', async () => {
    const bytes = fs.readFileSync(path.join(here, '../fixtures/ingest/dependents.xlsx'));
    const result = await parseBytes(bytes, resolveLimits());
    const back = unpackResult(cross(packResult(result)));
    expect(back).toEqual(result);
    expect(layout(back)).toBe(layout(cross(result)));
    expect(layout(back)).toBe(layout(result));
  });

  it('refuses record keys that are not plain names (no prototype games) and values that do not add up', () => {
    const bad = { shapes: [['__proto__']], shapeOf: [0], values: [{ polluted: 1 }] };
    expect(() => unpackRows(bad)).toThrow(TypeError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => unpackRows({ shapes: [['a', 'b']], shapeOf: [0], values: [1] })).toThrow(TypeError);
    expect(() => unpackRows({ shapes: [['a']], shapeOf: [1], values: [1] })).toThrow(TypeError);
  });
});
