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

/**
 * 和暦 for the layout's date cells. UNVERIFIED 元号 codes (luca-jp):
 * 1 昭和, 2 大正, 3 明治, 4 平成, 5 令和 — kept in this one table.
 */
const ERAS = [
  { code: '5', from: '2019-05-01', start: 2019 },
  { code: '4', from: '1989-01-08', start: 1989 },
  { code: '1', from: '1926-12-25', start: 1926 },
  { code: '2', from: '1912-07-30', start: 1912 },
  { code: '3', from: '1868-01-25', start: 1868 },
] as const;

export interface WarekiDate { era: string; year: string; month: string; day: string }

/** 2025-03-31 or 2025/3/31 → 和暦 cells; undefined when it is not a real date. */
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
