import type { ColumnGroup } from './layout.js';
import type { SheetGrid } from './types.js';

/** A cell's text as extraction reads it: whitespace folded, a person's name from one or two columns, furigana in NFKC. */
// Whitespace other than a plain space, or two spaces in a row: only then is there a run to fold.
const FOLDABLE = /[^\S ]| {2}/;

export function squash(s: string | undefined): string {
  const v = s ?? '';
  return FOLDABLE.test(v) ? v.replace(/[\s\u3000]+/g, ' ').trim() : v.trim();
}

export function cellText(sheet: SheetGrid, r: number, c: number | undefined): string {
  if (c === undefined) return '';
  const v = sheet.rows[r]?.[c];
  return typeof v === 'string' ? v : '';
}

function joined(a: string, b: string): string {
  return squash(`${squash(a)} ${squash(b)}`);
}

export function nameOf(sheet: SheetGrid, r: number, g: ColumnGroup): string {
  if (g.name !== undefined) return squash(cellText(sheet, r, g.name));
  if (g.sei !== undefined || g.mei !== undefined) return joined(cellText(sheet, r, g.sei), cellText(sheet, r, g.mei));
  return '';
}

export function furiganaOf(sheet: SheetGrid, r: number, g: ColumnGroup): string {
  if (g.furigana !== undefined) return squash(cellText(sheet, r, g.furigana).normalize('NFKC'));
  if (g.seiKana !== undefined || g.meiKana !== undefined)
    return joined(cellText(sheet, r, g.seiKana), cellText(sheet, r, g.meiKana)).normalize('NFKC');
  return '';
}
