import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParseResult, Relation } from '../../server/ingest/parse/types.js';
import { ParseError } from '../../server/ingest/parse/errors.js';
import { parseDropInWorker } from '../../server/ingest/worker/parse-drop.js';

/**
 * Accuracy on real-shaped files, through the real worker: every truth person
 * comes out with the right name and number, every truth review row is held
 * back with its reason, and nothing else is invented. Assertions compare
 * names and counts so that a failure never prints a (synthetic) number.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = path.resolve(here, '../../../shared/fixtures');
const CORPUS = path.resolve(here, '../fixtures/ingest');

interface Truth {
  persons: Array<{ name: string; number: string; relation?: string; sheet?: string }>;
  review: Array<{ name: string; reason: string; proposedNumber?: string }>;
  ambiguous?: boolean;
  error?: string;
}

// The shared truth names reasons in its own words.
const REASON: Record<string, string> = { check_digit: 'check-digit', length: 'wrong-length' };
const rel = (r: Relation) => (r.kind === 'dependent' ? `dependent${r.index}` : r.kind);
const key = (name: string, number: string) => `${name}\u0000${number}`;

function compare(result: ParseResult, truth: Truth) {
  const got = new Map(result.persons.map((p) => [key(p.name, p.number), p]));
  const wanted = new Set(truth.persons.map((p) => key(p.name, p.number)));
  const missing = truth.persons.filter((p) => !got.has(key(p.name, p.number))).map((p) => p.name);
  const extra = result.persons.filter((p) => !wanted.has(key(p.name, p.number))).map((p) => p.name);
  const wrongRelation = truth.persons
    .filter((p) => p.relation && got.has(key(p.name, p.number)) && rel(got.get(key(p.name, p.number))!.relation) !== p.relation)
    .map((p) => p.name);
  const wrongSheet = truth.persons
    .filter((p) => p.sheet && got.has(key(p.name, p.number)) && got.get(key(p.name, p.number))!.sheet !== p.sheet)
    .map((p) => p.name);
  const review = result.review.map((r) => `${r.name ?? ''}: ${r.reason}`).sort();
  const wantReview = truth.review.map((r) => `${r.name}: ${REASON[r.reason] ?? r.reason}`).sort();
  return { missing, extra, wrongRelation, wrongSheet, review, wantReview };
}

function expectMatches(result: ParseResult, truth: Truth) {
  const c = compare(result, truth);
  expect({ missing: c.missing, extra: c.extra, wrongRelation: c.wrongRelation, wrongSheet: c.wrongSheet }).toEqual({
    missing: [],
    extra: [],
    wrongRelation: [],
    wrongSheet: [],
  });
  expect(c.review).toEqual(c.wantReview);
  expect(result.persons).toHaveLength(truth.persons.length);
  // A review row shows at most the last four digits.
  for (const r of result.review) expect(r.masked.replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(4);
}

describe('accuracy on the shared sample files (../shared/fixtures)', () => {
  const truth = JSON.parse(fs.readFileSync(path.join(SHARED, 'truth.json'), 'utf8')) as Record<string, Truth>;
  for (const [file, t] of Object.entries(truth)) {
    it(`${file}: all ${t.persons.length} persons extracted, ${t.review.length} rows held back with their reason`, async () => {
      const result = await parseDropInWorker(fs.readFileSync(path.join(SHARED, file)));
      expectMatches(result, t);
      expect(result.ambiguousColumns).toEqual([]);
    });
  }
});

describe('accuracy on the LibreOffice-made corpus (test/fixtures/ingest)', () => {
  const truth = JSON.parse(fs.readFileSync(path.join(CORPUS, 'corpus-truth.json'), 'utf8')) as Record<string, Truth>;
  for (const [file, t] of Object.entries(truth)) {
    if (t.error) {
      it(`${file}: refused with ingest.errors.${t.error}`, async () => {
        const err = await parseDropInWorker(fs.readFileSync(path.join(CORPUS, file))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ParseError);
        expect((err as ParseError).messageKey).toBe(`ingest.errors.${t.error}`);
      });
      continue;
    }
    if (t.ambiguous) {
      it(`${file}: two candidate columns are offered, and the staff's choice is read`, async () => {
        const bytes = fs.readFileSync(path.join(CORPUS, file));
        const first = await parseDropInWorker(bytes);
        expect(first.persons).toEqual([]);
        expect(first.ambiguousColumns).toHaveLength(1);
        const [choice] = first.ambiguousColumns;
        expect(choice!.candidates.map((c) => c.header)).toEqual(['個人番号', 'マイナンバー']);
        const chosen = await parseDropInWorker(bytes, { columnChoices: [{ sheet: choice!.sheet, column: choice!.candidates[0]!.column }] });
        expect(chosen.ambiguousColumns).toEqual([]);
        expectMatches(chosen, t);
      });
      continue;
    }
    it(`${file}: all ${t.persons.length} persons extracted, ${t.review.length} rows held back with their reason`, async () => {
      const result = await parseDropInWorker(fs.readFileSync(path.join(CORPUS, file)));
      expectMatches(result, t);
      // Lost leading zeros are offered back for staff to confirm — never applied on their own.
      for (const r of t.review.filter((x) => x.proposedNumber)) {
        const row = result.review.find((x) => x.name === r.name)!;
        expect(row.proposedNumber === r.proposedNumber).toBe(true);
        expect(result.persons.some((p) => p.number === r.proposedNumber)).toBe(false);
      }
    });
  }

  it('reads the forms it claims to: encodings, formats and sheets', async () => {
    const read = (f: string) => parseDropInWorker(fs.readFileSync(path.join(CORPUS, f)));
    expect((await read('roster_sjis.csv')).encoding).toBe('shift_jis');
    expect((await read('roster_utf8.csv')).encoding).toBe('utf-8');
    expect((await read('roster_utf8_bom.csv')).encoding).toBe('utf-8-bom');
    expect((await read('dependents_two_row_header.xls')).format).toBe('xls');
    const pdf = await read('table.pdf');
    expect(pdf.format).toBe('pdf');
    expect(new Set(pdf.persons.map((p) => p.page))).toEqual(new Set([1, 2]));
    const several = await read('several_sheets.xlsx');
    expect(several.sheets.map((s) => [s.sheet, s.skipped ?? 'read'])).toEqual([
      ['本社', 'read'],
      ['大阪支店', 'read'],
      ['メモ', 'no-my-number-column'],
    ]);
    const deps = await read('dependents.xlsx');
    const withEmployee = deps.persons.filter((p) => p.relation.kind !== 'self');
    expect(withEmployee.every((p) => p.employeeName && p.employeeCode)).toBe(true);
    const family = await read('family_rows.xlsx');
    expect(family.persons.filter((p) => p.relationLabel === '妻').map((p) => p.relation)).toEqual([{ kind: 'spouse' }]);
  });
});
