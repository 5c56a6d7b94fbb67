import iconv from 'iconv-lite';
import { createI18n } from '../../server/i18n/i18n.js';
import { describeProblem } from '../../server/bundles/messages.js';
import type { Problem } from '../../server/bundles/problems.js';

/**
 * Synthetic 統一CSV rows for the bundles tests: a valid 令和7年分 row with
 * whatever cells a test changes (1-based column → value).
 */
export function unifiedCells(over: Record<number, string> = {}, count = 147): string[] {
  const cells = Array<string>(count).fill('');
  const base: Record<number, string> = {
    1: '315', 4: '東京都千代田区丸の内１－１－１', 5: '株式会社金庫', 6: '03-0000-0000', 11: '07',
    12: '東京都府中市宮町１－２－３', 14: '山田　太郎', 16: '給料', 17: '4000000', 21: '100000',
    44: '4', 45: '02', 46: '04', 47: '01', 50: '0', 57: '0', 58: '0', 60: '0', 134: '0',
    137: 'ﾔﾏﾀﾞ ﾀﾛｳ', 138: '1001', 139: '132063', 140: 'A123',
  };
  for (const [c, v] of Object.entries({ ...base, ...over })) cells[Number(c) - 1] = v;
  cells[count - 1] = over[count] ?? '';
  return cells;
}

export function sjis(lines: string[][], eol = '\r\n'): Buffer {
  return iconv.encode(lines.map((l) => l.join(',') + eol).join(''), 'shift_jis');
}

/** Every problem rendered in Japanese and English, as staff would read them. */
export async function texts(problems: readonly Problem[]): Promise<string[]> {
  const i18n = await createI18n();
  return problems.flatMap((p) => ['ja', 'en'].map((lng) => describeProblem(i18n.t, p, lng)));
}

/** A run of 12 or more digits, half- or full-width, even with group separators. */
export const TWELVE_DIGITS = /[0-9０-９](?:[\s\-－]?[0-9０-９]){11}/;
