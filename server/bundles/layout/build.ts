import type { CharClass, ColumnSpec } from './types.js';

/**
 * Short constructors for the column tables, so each column reads as one line
 * that can be compared with year-end.md §4.2 by eye.
 */
type Extra = Partial<Omit<ColumnSpec, 'col' | 'name' | 'chars' | 'maxLength'>>;

function spec(col: number, name: string, chars: CharClass, maxLength: number | undefined, extra: Extra = {}): ColumnSpec {
  return maxLength === undefined ? { col, name, chars, ...extra } : { col, name, chars, maxLength, ...extra };
}

export const zen = (col: number, name: string, max?: number, extra?: Extra) => spec(col, name, 'zenkaku', max, extra);
export const han = (col: number, name: string, max?: number, extra?: Extra) => spec(col, name, 'hankaku', max, extra);
export const num = (col: number, name: string, max?: number, extra?: Extra) => spec(col, name, 'digits', max, extra);
export const kana = (col: number, name: string, max?: number, extra?: Extra) => spec(col, name, 'hankaku-kana', max, extra);
export const free = (col: number, name: string, max?: number, extra?: Extra) => spec(col, name, 'free', max, extra);
/** A 0/1 flag column. */
export const flag = (col: number, name: string, extra?: Extra) => spec(col, name, 'digits', 1, { values: ['0', '1'], ...extra });
/** A column the layout keeps blank. */
export const blank = (col: number, name: string) => spec(col, name, 'free', 0);
/** A ★ number-bearing column. */
export const mynum = (col: number, name: string, max = 12) =>
  spec(col, name, 'digits', max, { minLength: 12, numberBearing: true });
/** Year, month or day of a date: two digits. */
export const two = (col: number, name: string) => spec(col, name, 'digits', 2, { minLength: 2 });

/** フリガナ / 氏名 / 区分 / 個人番号 of one spouse or dependent (cols 96–131). */
export function family(first: number, who: string): ColumnSpec[] {
  const inferred = 'class inferred from the 本人 columns (14, 137); length unknown';
  return [
    kana(first, `${who}－フリガナ`, undefined, { note: inferred }),
    zen(first + 1, `${who}－氏名`, undefined, { note: inferred }),
    num(first + 2, `${who}－区分`, 2, { note: 'UNVERIFIED: luca-jp writes 00 (01 = 非居住者)' }),
    mynum(first + 3, `${who}－個人番号`),
  ];
}
