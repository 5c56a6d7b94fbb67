import { eraName } from '../layout/eras.js';
import { COL } from '../layout/fields.js';
import type { FamilyMember, PayRow } from '../rows.js';
import type { SlipPerson, SlipPrint } from '../slip-pdf/draw-slip.js';
import { breathe, gatherGlyphs, slipBook, slipPage, slipPdf } from '../slip-pdf/slip-book.js';
import { COPY_TITLE } from '../slip-pdf/slip-layout.js';
import { fillNumbers, type RowNumbers } from './fill-numbers.js';

/**
 * The numbered printed slips (issue 15 §3): the 税務署提出用 源泉徴収票 or a
 * 市区町村's 給与支払報告書（個人別明細書）, one page per person, with the
 * 個人番号 of the person, spouse and dependants and the payer's 法人番号 in
 * their boxes (year-end.md §1, §6). Every number goes through the same check
 * as the 統一CSV (fillNumbers), so the slip refuses what the CSV refuses; the
 * PDF holds numbers and, like the CSV, only ever goes into a sealed bundle.
 */
export interface NumberedSlip {
  readonly row: PayRow;
  readonly numbers: RowNumbers;
}

export interface NumberedSlipsInput {
  readonly nenbun: number;
  readonly copy: 'tax-office' | 'municipal';
  /** 法人番号 (13 digits), or a sole proprietor's 個人番号 (12): printed right-aligned in the 13-cell box (§5). */
  readonly payerNumber: string;
  /** In page order (the caller's rowsFor order, as in the CSV). */
  readonly slips: readonly NumberedSlip[];
}

const person = (m: FamilyMember, number: string | undefined): SlipPerson => ({ furigana: m.furigana, name: m.name, kubun: m.kubun, number: number ?? '' });

function printOf(row: PayRow, n: RowNumbers, payerNumber: string): SlipPrint {
  const at = (col: number) => row.cells[col - 1] ?? '';
  return {
    payee: { address: row.address, employeeCode: row.employeeCode, number: n.self ?? '', title: row.title, name: row.name, furigana: row.furigana },
    amounts: {
      paymentType: at(COL.paymentType),
      pay: at(COL.pay),
      afterDeduction: at(COL.afterDeduction),
      deductionsTotal: at(COL.deductionsTotal),
      tax: at(COL.tax),
      socialInsurance: at(COL.socialInsurance),
    },
    tekiyo: at(COL.tekiyo),
    spouse: row.spouse ? person(row.spouse, n.spouse) : undefined,
    dependents: row.dependents.map((m, i) => person(m, n.dependents?.[i])),
    under16: row.under16.map((m, i) => person(m, n.under16?.[i])),
    midYear: row.midYear,
    birth: row.birth ? { ...row.birth, era: eraName(row.birth.era) } : undefined,
    payer: { number: payerNumber, address: at(COL.payerAddress), name: at(COL.payerName), phone: at(COL.payerPhone) },
  };
}

/** Refuses a malformed number or a row of another year; the message names lines and columns, never a number. */
function check(input: NumberedSlipsInput): void {
  if (input.slips.length === 0) throw new Error('numbered slips: no rows (a destination without people has no PDF)');
  const bad: string[] = [];
  for (const { row, numbers } of input.slips) {
    if (row.nenbun !== input.nenbun) bad.push(`line ${row.line}: 令和${row.nenbun}年分`);
    const { problems } = fillNumbers(row, { ...numbers, payer: input.payerNumber });
    for (const p of problems) bad.push(`line ${row.line}: col ${p.col ?? '?'}`);
  }
  if (bad.length) throw new Error(`numbered slips refused (${bad.slice(0, 10).join('; ')}${bad.length > 10 ? '; …' : ''})`);
}

export async function numberedSlipsPdf(input: NumberedSlipsInput): Promise<Buffer> {
  check(input);
  const first = input.slips[0]?.row.cells ?? [];
  const payerText = [COL.payerAddress, COL.payerName, COL.payerPhone].map((c) => first[c - 1] ?? '').join('');
  const book = slipBook(input.nenbun, input.copy, payerText);
  const pages: Buffer[] = [];
  const glyphs = new Map<number, number>();
  for (const [i, s] of input.slips.entries()) {
    await breathe(i);
    const page = slipPage(book, printOf(s.row, s.numbers, input.payerNumber));
    gatherGlyphs(glyphs, page);
    pages.push(page.content);
  }
  return slipPdf(book, pages, glyphs, `令和${input.nenbun}年分 給与所得の源泉徴収票（${COPY_TITLE[input.copy]}）`);
}
