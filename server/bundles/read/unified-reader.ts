import { columnCount, knownNenbun, layoutFor } from '../layout/layouts.js';
import { COL } from '../layout/fields.js';
import type { Layout } from '../layout/types.js';
import { problem, type Problem } from '../problems.js';
import type { PayRow } from '../rows.js';
import { decodeLines, splitRecord } from './decode.js';
import { toPayRow } from './typed-row.js';

/**
 * The 統一CSV a payroll program exports (numbers left out, or not), read
 * into typed rows for one 年分. File-level faults (encoding, header row,
 * unknown year) stop the read; row faults are listed per line and that row
 * is left out, so staff see every problem in one pass.
 */
export interface ReadResult {
  readonly rows: PayRow[];
  readonly problems: Problem[];
}

export function readUnifiedCsv(bytes: Uint8Array, nenbun: number): ReadResult {
  const layout = layoutFor(nenbun);
  if (!layout) return { rows: [], problems: [problem('file.unknownNenbun', 'error', {}, { nenbun, known: knownNenbun().join('・') })] };
  const decoded = decodeLines(bytes);
  if (!decoded.ok) return { rows: [], problems: [decoded.problem] };
  if (decoded.lines.length === 0) return { rows: [], problems: [problem('file.empty', 'error', {})] };
  const first = splitRecord(decoded.lines[0] ?? '');
  if (looksLikeHeader(first)) return { rows: [], problems: [problem('file.header', 'error', { line: 1 })] };
  return readLines(decoded.lines, layout);
}

export function readLines(lines: readonly string[], layout: Layout): ReadResult {
  const rows: PayRow[] = [];
  const problems: Problem[] = [];
  const expected = columnCount(layout);
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return; // a blank line between records carries nothing
    const cells = splitRecord(text);
    if (cells.length !== expected) {
      problems.push(problem('row.columnCount', 'error', { line }, { line, found: cells.length, expected, nenbun: layout.nenbun }));
      return;
    }
    // The writer puts a space in an empty last field (§4.1); read it back as empty.
    if (cells[expected - 1] === ' ') cells[expected - 1] = '';
    const r = toPayRow(cells, line, layout);
    problems.push(...r.problems);
    if (r.row) rows.push(r.row);
  });
  return { rows, problems };
}

/**
 * A data row starts 315 and has digits in 支払金額; a header row has the
 * column names there. Either cell being non-numeric 漢字/かな text is enough:
 * a data row with text in col 1 is wrong anyway, and saying "header row"
 * is the message that helps.
 */
function looksLikeHeader(cells: readonly string[]): boolean {
  const words = /[\u3040-\u30FF\u4E00-\u9FFF]/;
  return [cells[COL.kind - 1], cells[COL.pay - 1]].some((c) => c !== undefined && words.test(c));
}
