import { checkDigit } from '../../server/mynumber/check-digit.js';

/** Deterministic synthetic My Numbers with valid check digits (test data only, design.md §5). */
export function syntheticMyNumbers(count: number, seed = 1): string[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const out: string[] = [];
  while (out.length < count) {
    const first11 = String(next() % 1e6).padStart(6, '0') + String(next() % 1e5).padStart(5, '0');
    out.push(first11 + checkDigit(first11));
  }
  return out;
}

/** The same number in the forms real files use: hyphens, spaces, full-width. */
export function variants(n: string): string[] {
  const fw = (x: string) => x.replace(/[0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  const g = [n.slice(0, 4), n.slice(4, 8), n.slice(8)];
  return [n, g.join('-'), g.join(' '), fw(n), fw(g.join(' ')), fw(g.join('　')), fw(g.join('－'))];
}

/**
 * Twelve digits standing alone, as a My Number would be shown: not part of a
 * longer token (a CSRF token or a random id can hold twelve digits in a row
 * by chance, which is not a leak).
 */
export const STANDALONE_TWELVE_DIGITS = /(?<![0-9A-Za-z_-])\d{12}(?![0-9A-Za-z_-])/;
