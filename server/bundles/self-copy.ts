import { COL } from './layout/fields.js';
import { problem, type Problem } from './problems.js';
import type { FamilyMember, PayRow } from './rows.js';

/**
 * The 受給者交付用 源泉徴収票's data (year-end.md §1, §7 rule 2): no 個人番号
 * of anyone and no 支払者 法人番号. This module is the whole path, and it is
 * kept structurally away from numbers: it imports only the typed row (whose
 * ★ cells are blank), the column names and the problem type; a
 * dependency-cruiser rule (`self-copy-reaches-no-numbers`) refuses any import
 * that could reach the vault, the readers or the number-filling writer.
 * It copies named fields one by one — never the row's cells wholesale — and
 * refuses a copy whose text still holds a run of 12 or more digits (a number
 * typed into 摘要), rather than print it.
 */
export interface SelfCopyPerson {
  readonly furigana: string;
  readonly name: string;
  readonly kubun: string;
}

export interface SelfCopy {
  readonly line: number;
  readonly nenbun: number;
  readonly payer: { readonly address: string; readonly name: string; readonly phone: string };
  readonly payee: { readonly address: string; readonly name: string; readonly furigana: string; readonly title: string; readonly employeeCode: string };
  readonly amounts: { readonly paymentType: string; readonly pay: string; readonly afterDeduction: string; readonly deductionsTotal: string; readonly tax: string; readonly socialInsurance: string };
  readonly birth?: PayRow['birth'];
  readonly midYear: PayRow['midYear'];
  readonly tekiyo: string;
  readonly spouse?: SelfCopyPerson;
  readonly dependents: readonly SelfCopyPerson[];
  readonly under16: readonly SelfCopyPerson[];
}

const LONG_DIGIT_RUN = /[0-9０-９][0-9０-９\s\-－ー‐]{10,}[0-9０-９]/g;

/**
 * A run of 12 or more digits, half- or full-width, even with spaces or
 * hyphens between groups: what a My Number looks like wherever it was typed.
 * The 本人交付 PDF path (self-copy-pdf.ts) checks every string it prints with it.
 */
export function digitRunOf12(text: string): boolean {
  return (text.match(LONG_DIGIT_RUN) ?? []).some((m) => m.replace(/[^0-9０-９]/g, '').length >= 12);
}

const person = (m: FamilyMember): SelfCopyPerson => ({ furigana: m.furigana, name: m.name, kubun: m.kubun });

export function buildSelfCopy(row: PayRow): { copy?: SelfCopy; problems: Problem[] } {
  const at = (col: number) => row.cells[col - 1] ?? '';
  const copy: SelfCopy = {
    line: row.line,
    nenbun: row.nenbun,
    payer: { address: at(COL.payerAddress), name: at(COL.payerName), phone: at(COL.payerPhone) },
    payee: { address: row.address, name: row.name, furigana: row.furigana, title: row.title, employeeCode: row.employeeCode },
    amounts: {
      paymentType: at(COL.paymentType),
      pay: at(COL.pay),
      afterDeduction: at(COL.afterDeduction),
      deductionsTotal: at(COL.deductionsTotal),
      tax: at(COL.tax),
      socialInsurance: at(COL.socialInsurance),
    },
    ...(row.birth ? { birth: row.birth } : {}),
    midYear: row.midYear,
    tekiyo: at(COL.tekiyo),
    ...(row.spouse ? { spouse: person(row.spouse) } : {}),
    dependents: row.dependents.map(person),
    under16: row.under16.map(person),
  };
  if (digitRunOf12(JSON.stringify(copy))) return { problems: [problem('selfCopy.digitRun', 'error', { line: row.line })] };
  return { copy, problems: [] };
}
