import { family, flag, free, han, kana, mynum, num } from './build.js';
import type { ColumnSpec } from './types.js';

/**
 * Columns 94–143 (both years), then what 令和7年分 inserted (144–146) and
 * 作成区分, which is always the last column (year-end.md §4.1).
 */
export const COLUMNS_94_143: readonly ColumnSpec[] = [
  // 法人番号 is 13 digits, a sole proprietor's 個人番号 12: both are vaulted (§3).
  mynum(94, '提出義務者の個人番号又は法人番号', 13),
  mynum(95, '支払を受ける者の個人番号'),
  ...family(96, '（源泉・特別）控除対象配偶者'),
  ...family(100, '控除対象扶養親族(1)'),
  ...family(104, '控除対象扶養親族(2)'),
  ...family(108, '控除対象扶養親族(3)'),
  ...family(112, '控除対象扶養親族(4)'),
  ...family(116, '16歳未満の扶養親族(1)'),
  ...family(120, '16歳未満の扶養親族(2)'),
  ...family(124, '16歳未満の扶養親族(3)'),
  ...family(128, '16歳未満の扶養親族(4)'),
  // Free text lists; the entry format lives in write/extra-dependents.ts.
  free(132, '5人目以降の控除対象扶養親族の個人番号', undefined, { numberBearing: true }),
  free(133, '5人目以降の16歳未満の扶養親族の個人番号', undefined, { numberBearing: true }),
  flag(134, '普通徴収'),
  flag(135, '青色専従者'),
  flag(136, '条約免除'),
  kana(137, '支払を受ける者のフリガナ', 60),
  // osync: digits only; eLTAX rejects 漢字 and 半角カナ (鹿児島市). Length unknown.
  num(138, '受給者番号'),
  num(139, '提出先市町村コード', 6, { minLength: 5, routing: true }),
  han(140, '指定番号', 12, { routing: true }),
  num(141, '基礎控除の額', undefined, { note: 'class inferred (an amount); length unknown' }),
  num(142, '所得金額調整控除額', undefined, { note: 'class inferred (an amount); length unknown' }),
  num(143, 'ひとり親', undefined, { note: 'class inferred (a flag); length unknown' }),
];

export const COLUMNS_144_146_R7: readonly ColumnSpec[] = [
  num(144, '控除対象扶養親族等の数－特親－主', undefined, { note: 'new in 令和7年分; class inferred, length unknown' }),
  num(145, '控除対象扶養親族等の数－特親－従', undefined, { note: 'new in 令和7年分; class inferred, length unknown' }),
  num(146, '特定親族特別控除の額', undefined, { note: 'new in 令和7年分; class inferred, length unknown' }),
];

/** 作成区分 at whatever position the year puts it (always last). */
export function sakuseiKubun(col: number): ColumnSpec {
  return num(col, '作成区分', 1, {
    values: ['0', '1', '2'],
    routing: true,
    note: 'UNVERIFIED codes (luca-jp comment): 0 国税のみ, 1 地方のみ, 2 両方',
  });
}
