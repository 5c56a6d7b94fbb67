import { isValidMyNumber } from '../../mynumber/check-digit.js';
import { COL, FAMILY, FAMILY_OFFSET } from '../layout/fields.js';
import { problem, type Problem } from '../problems.js';
import type { PayRow } from '../rows.js';
import { extraList } from './extra-dependents.js';

/**
 * The numbers for one row, supplied by the caller from the vault (year-end.md
 * §7 rule 1: filled last, only while sealing a 税務署 or 市区町村 bundle).
 * Indexes follow row.dependents / row.under16. A missing number (番号未提供)
 * leaves its cell blank, which the NTA allows after documented requests (§3).
 */
export interface RowNumbers {
  /** 法人番号 (13) or a sole proprietor's 個人番号 (12). */
  readonly payer?: string;
  readonly self?: string;
  readonly spouse?: string;
  readonly dependents?: readonly (string | undefined)[];
  readonly under16?: readonly (string | undefined)[];
}

/** 法人番号: the first digit checks the other twelve (法人番号の指定等に関する省令 §2). */
export function isValidCorporateNumber(d: string): boolean {
  if (!/^\d{13}$/.test(d)) return false;
  const body = d.slice(1);
  const sum = [...body].reduce((s, c, i) => s + Number(c) * ((12 - i) % 2 === 1 ? 1 : 2), 0);
  return Number(d[0]) === 9 - (sum % 9);
}

const FOUR = 4;

/**
 * The row's cells with every ★ cell set; problems name the column, never the
 * number. The 5th and later dependents go into cols 132/133 (their names come
 * from the row).
 */
export function fillNumbers(row: PayRow, n: RowNumbers): { cells: string[]; problems: Problem[]; blank: number } {
  const cells = [...row.cells];
  const problems: Problem[] = [];
  let blank = 0;
  const put = (col: number, value: string | undefined, valid: (v: string) => boolean) => {
    if (!value) {
      blank++;
      return;
    }
    if (!valid(value)) problems.push(problem('write.badNumber', 'error', { line: row.line, col }, { col }));
    else cells[col - 1] = value;
  };
  put(COL.payerNumber, n.payer, (v) => isValidMyNumber(v) || isValidCorporateNumber(v));
  put(COL.selfNumber, n.self, isValidMyNumber);
  if (row.spouse) put(FAMILY.spouse + FAMILY_OFFSET.number, n.spouse, isValidMyNumber);
  const lists: [readonly number[], readonly { name: string }[], readonly (string | undefined)[], number][] = [
    [FAMILY.dependents, row.dependents, n.dependents ?? [], COL.extraDependents],
    [FAMILY.under16, row.under16, n.under16 ?? [], COL.extraUnder16],
  ];
  for (const [firsts, people, numbers, extraCol] of lists) {
    people.slice(0, FOUR).forEach((_, i) => put((firsts[i] ?? 0) + FAMILY_OFFSET.number, numbers[i], isValidMyNumber));
    const extra: { number: string; name: string }[] = [];
    people.slice(FOUR).forEach((p, i) => {
      const v = numbers[FOUR + i];
      if (!v) blank++;
      else if (!isValidMyNumber(v)) problems.push(problem('write.badNumber', 'error', { line: row.line, col: extraCol }, { col: extraCol }));
      else extra.push({ number: v, name: p.name });
    });
    if (extra.length) cells[extraCol - 1] = extraList(extra);
  }
  return { cells, problems, blank };
}
