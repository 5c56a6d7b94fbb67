import { cellProblem } from '../cell-problems.js';
import { encodeShiftJis } from '../layout/chars.js';
import { checkCell } from '../layout/check-cell.js';
import { COL } from '../layout/fields.js';
import { columnCount, layoutFor, sakuseiKubunCol } from '../layout/layouts.js';
import type { Layout } from '../layout/types.js';
import { problem, type Problem } from '../problems.js';
import type { RoutingPlan, RowRouting } from '../route/route-rows.js';
import { fillNumbers, type RowNumbers } from './fill-numbers.js';

/**
 * One destination's 統一CSV (year-end.md §4.1): no header, CRLF, commas only
 * as separators, Shift_JIS with JIS第1・第2水準 only, an empty last field as
 * one space, 作成区分 per row. Every row is checked against the layout before
 * it is accepted; the file is produced only when every row passes — a
 * destination's file missing a person would be a wrong filing, and nothing
 * numbered is kept half-built. The bytes hold numbers: the caller seals them
 * at once and never writes them plain.
 */
export type Destination = { kind: 'tax-office' } | { kind: 'municipal'; code: string };

export type WriteResult = { ok: true; bytes: Buffer; rows: number; blankNumberCells: number } | { ok: false; problems: Problem[] };

const CRLF = '\r\n'; // UNVERIFIED which break the consumers need; Windows programs read CRLF.

/** The rows a destination gets, in file order. */
export function rowsFor(plan: RoutingPlan, dest: Destination): RowRouting[] {
  const chosen = plan.rows.filter((r) =>
    r.sakuseiKubun !== undefined &&
    (dest.kind === 'tax-office' ? r.taxOffice.status === 'included' : r.municipal.status === 'included' && r.municipal.code === dest.code));
  return chosen.sort((a, b) => a.row.line - b.row.line);
}

/** A half-width comma in text becomes 「，」 (§4.1); in a 半角 or digit column it stays and is refused. */
function commaSafe(value: string, chars: string): string {
  return chars === 'zenkaku' || chars === 'free' ? value.replaceAll(',', '，') : value;
}

export function checkRow(cells: readonly string[], layout: Layout, line: number): Problem[] {
  if (cells.length !== columnCount(layout)) {
    return [problem('row.columnCount', 'error', { line }, { line, found: cells.length, expected: columnCount(layout), nenbun: layout.nenbun })];
  }
  return layout.columns.flatMap((spec) => checkCell(spec, cells[spec.col - 1] ?? '').map((f) => cellProblem(f, spec, line)));
}

export function renderRow(routing: RowRouting, numbers: RowNumbers, layout: Layout): { line?: string; problems: Problem[]; blank: number } {
  const { row } = routing;
  if (!routing.sakuseiKubun) return { problems: [problem('write.undecided', 'error', { line: row.line })], blank: 0 };
  const filled = fillNumbers(row, numbers);
  const cells = filled.cells.map((v, i) => commaSafe(v, layout.columns[i]?.chars ?? 'free'));
  cells[sakuseiKubunCol(layout) - 1] = routing.sakuseiKubun;
  // A 政令市 ward code goes out as the city's, matching the 総括表 it is grouped under.
  if (routing.municipal.status === 'included') cells[COL.municipality - 1] = routing.municipal.written;
  const problems = [...filled.problems, ...checkRow(cells, layout, row.line)];
  // Any problem, review ones too (髙 waiting for staff), keeps the row out.
  if (problems.length) return { problems, blank: filled.blank };
  return { line: joinRecord(cells), problems, blank: filled.blank };
}

/** Cells → one record; the last field must hold at least a space when it has no value (§4.1). */
export function joinRecord(cells: readonly string[]): string {
  const out = [...cells];
  if (out.length && out[out.length - 1] === '') out[out.length - 1] = ' ';
  return out.join(',');
}

export function writeUnifiedCsv(
  plan: RoutingPlan,
  dest: Destination,
  numbersOf: (routing: RowRouting) => RowNumbers,
): WriteResult {
  const layout = layoutFor(plan.nenbun);
  if (!layout) return { ok: false, problems: [problem('file.unknownNenbun', 'error', {}, { nenbun: plan.nenbun, known: '' })] };
  const lines: string[] = [];
  const problems: Problem[] = [];
  let blank = 0;
  const rows = rowsFor(plan, dest);
  for (const r of rows) {
    const out = renderRow(r, numbersOf(r), layout);
    problems.push(...out.problems);
    blank += out.blank;
    if (out.line !== undefined) lines.push(out.line);
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, bytes: encodeShiftJis(lines.map((l) => l + CRLF).join('')), rows: lines.length, blankNumberCells: blank };
}
