import { describe, expect, it } from '@jest/globals';
import { checkMyNumberCell } from '../../server/mynumber/cell.js';
import { maskNumber } from '../../server/mynumber/mask.js';
import { isValidMyNumber } from '../../server/mynumber/check-digit.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';

/** design.md §5: every written form is read; every damaged one goes to review, never repaired. */
const numbers = syntheticMyNumbers(40, 2024);
const zeroLed = syntheticMyNumbers(2000, 99).find((n) => n.startsWith('0') && !n.startsWith('00'))!;
const ok = (text: string, numeric?: number) => {
  const r = checkMyNumberCell(text, numeric);
  return r.ok ? r.number : `review:${r.reason}`;
};

describe('reading a My Number cell', () => {
  it('reads half- and full-width digits with hyphens or spaces', () => {
    for (const n of numbers.slice(0, 10)) for (const v of variants(n)) expect(ok(v) === n).toBe(true);
    expect(ok('1234ー5678ー9018'.replace(/ー/g, 'ー'))).toBe('123456789018');
    expect(ok(' 123456789018 ')).toBe('123456789018');
  });

  it('reads a numeric cell by its value, also when Excel shows it as 1.23457E+11', () => {
    expect(ok('1.23457E+11', 123456789018)).toBe('123456789018');
  });

  it('sends a numeric cell that lost its leading zero to review, offering the zero back', () => {
    const r = checkMyNumberCell(String(Number(zeroLed)), Number(zeroLed));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('excel-damaged');
    expect(r.proposedNumber === zeroLed).toBe(true);
    // The same damage in CSV text (saved from Excel) is found the same way.
    const t = checkMyNumberCell(String(Number(zeroLed)));
    expect(!t.ok && t.reason === 'excel-damaged' && t.proposedNumber === zeroLed).toBe(true);
  });

  it('an 11-digit value that does not become valid with a zero is just the wrong length', () => {
    const eleven = numbers.map((n) => n.slice(1)).find((d) => !isValidMyNumber(`0${d}`))!;
    expect(ok(eleven, Number(eleven))).toBe('review:wrong-length');
    expect(ok(eleven)).toBe('review:wrong-length');
  });

  it('exponent text, lost precision and fractions are Excel damage', () => {
    expect(ok('1.23457E+11')).toBe('review:excel-damaged');
    expect(ok('１．２３４５７Ｅ＋１１')).toBe('review:excel-damaged');
    expect(ok('123457000000', 123457000000)).toBe('review:excel-damaged');
    expect(ok('12345678901.5', 12345678901.5)).toBe('review:excel-damaged');
    expect(ok('123456789018.0')).toBe('review:excel-damaged');
  });

  it('wrong check digit, wrong length, letters and blanks each have their reason', () => {
    const n = numbers[0]!;
    expect(ok(n.slice(0, 11) + String((Number(n[11]) + 1) % 10))).toBe('review:check-digit');
    expect(ok(`${n}1`)).toBe('review:wrong-length');
    expect(ok('1234')).toBe('review:wrong-length');
    expect(ok(`${n.slice(0, 8)}ABCD`)).toBe('review:invalid-characters');
    expect(ok('')).toBe('review:missing');
    expect(ok('未提出')).toBe('review:missing');
    expect(ok('－')).toBe('review:missing');
  });
});

describe('masking', () => {
  it('shows at most the last four digits, none of a short value', () => {
    expect(maskNumber('123456789018')).toBe('********9018');
    expect(maskNumber('1234-5678-9018')).toBe('****-****-9018');
    expect(maskNumber('1.23457E+11')).toBe('*.*****E+**');
    expect(maskNumber('12345')).toBe('*****');
    for (const n of numbers) for (const v of variants(n)) expect(maskNumber(v).normalize('NFKC').replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(4);
    expect(maskNumber('１２３４ ５６７８ ９０１８')).toBe('**** **** 9018');
  });

  it('a review row never carries the value it holds back', () => {
    const n = numbers[1]!;
    const bad = n.slice(0, 11) + String((Number(n[11]) + 1) % 10);
    const r = checkMyNumberCell(bad);
    expect(JSON.stringify(r)).not.toContain(bad.slice(0, 8));
  });
});
