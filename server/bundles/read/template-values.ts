import { ERAS } from '../layout/eras.js';

/**
 * Values people type into a sheet, read strictly: anything unclear is a
 * problem, not a guess. Amounts and dates are NFKC-normalised first (１２３ is
 * 123; a thousands separator is a thousands separator) — that changes no
 * meaning, unlike a name, which is never normalised.
 */
export function readAmount(text: string): string | undefined {
  const t = text.normalize('NFKC').trim().replace(/円$/, '');
  if (t === '') return '';
  if (!/^\d{1,3}(,\d{3})*$|^\d+$/.test(t)) return undefined;
  return t.replaceAll(',', '');
}

/** はい/いいえ, ○/空欄, 1/0. undefined = not a yes/no; '' = left empty. */
export function readYesNo(text: string): boolean | '' | undefined {
  const t = text.normalize('NFKC').trim();
  if (t === '') return '';
  if (['1', 'はい', '○', '〇', 'yes', 'y', 'true'].includes(t.toLowerCase())) return true;
  if (['0', 'いいえ', '×', 'no', 'n', 'false'].includes(t.toLowerCase())) return false;
  return undefined;
}

export interface WarekiDate { era: string; year: string; month: string; day: string }

/** 2025-03-31 or 2025/3/31 → 和暦 cells (元号 codes: layout/eras.ts); undefined when it is not a real date. */
export function readDate(text: string): WarekiDate | '' | undefined {
  const t = text.normalize('NFKC').trim();
  if (t === '') return '';
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(t);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  const iso = date.toISOString().slice(0, 10);
  const era = ERAS.find((e) => iso >= e.from);
  if (!era) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { era: era.code, year: pad(y - era.start + 1), month: pad(mo), day: pad(d) };
}
