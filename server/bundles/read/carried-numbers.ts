import { columnCount, layoutFor, numberBearingCols } from '../layout/layouts.js';
import { decodeLines, splitRecord } from './decode.js';

/**
 * The one function that hands out the ★ cells a file carried, for the later
 * step to compare them with the vault (issue 15 §1: checked against the
 * vault, never stored anywhere else). The result lives in memory only; it
 * must not be logged, cached or written. The reader itself (unified-reader)
 * only reports where such cells are.
 *
 * @returns line → col → the cell as written (unnormalised: mynumber/cell.ts reads it)
 */
export function carriedNumberCells(bytes: Uint8Array, nenbun: number): Map<number, Map<number, string>> {
  const out = new Map<number, Map<number, string>>();
  const layout = layoutFor(nenbun);
  const decoded = decodeLines(bytes);
  if (!layout || !decoded.ok) return out;
  const cols = numberBearingCols(layout);
  decoded.lines.forEach((text, i) => {
    const cells = splitRecord(text);
    if (cells.length !== columnCount(layout)) return;
    const found = new Map<number, string>();
    for (const col of cols) {
      const v = cells[col - 1]?.trim() ?? '';
      if (v !== '') found.set(col, v);
    }
    if (found.size) out.set(i + 1, found);
  });
  return out;
}
