import { COLUMNS_1_93 } from './columns-1-93.js';
import { COLUMNS_144_146_R7, COLUMNS_94_143, sakuseiKubun } from './columns-94-147.js';
import type { ColumnSpec, Layout } from './types.js';

/**
 * The 統一CSV layout per 年分 (令和 year). 令和6年分 has 144 columns and
 * 令和7年分 147 (144–146 inserted before 作成区分) [year-end.md §4.1]. A new
 * year is one more entry here, not new code.
 */
const LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [6, freeze(6, [...COLUMNS_1_93, ...COLUMNS_94_143, sakuseiKubun(144)])],
  [7, freeze(7, [...COLUMNS_1_93, ...COLUMNS_94_143, ...COLUMNS_144_146_R7, sakuseiKubun(147)])],
]);

function freeze(nenbun: number, columns: ColumnSpec[]): Layout {
  columns.forEach((c, i) => {
    // A table typo (a skipped or doubled number) would shift every later column.
    if (c.col !== i + 1) throw new Error(`layout ${nenbun}: column ${i + 1} is numbered ${c.col}`);
  });
  return Object.freeze({ nenbun, columns: Object.freeze(columns.map((c) => Object.freeze(c))) });
}

export function knownNenbun(): number[] {
  return [...LAYOUTS.keys()];
}

/** The layout for a 年分, or undefined when kinko does not know that year's layout. */
export function layoutFor(nenbun: number): Layout | undefined {
  return LAYOUTS.get(nenbun);
}

export function columnCount(layout: Layout): number {
  return layout.columns.length;
}

/** 1-based column → its spec. */
export function column(layout: Layout, col: number): ColumnSpec {
  const c = layout.columns[col - 1];
  if (!c) throw new Error(`layout ${layout.nenbun} has no column ${col}`);
  return c;
}

/** 作成区分 is always the last column. */
export function sakuseiKubunCol(layout: Layout): number {
  return layout.columns.length;
}

export function numberBearingCols(layout: Layout): number[] {
  return layout.columns.filter((c) => c.numberBearing).map((c) => c.col);
}
