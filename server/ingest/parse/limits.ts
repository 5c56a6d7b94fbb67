import { limits as configured } from '../../config.js';
import type { ParseLimits, ParseOptions } from './types.js';

/** Rows per sheet kinko reads: limits.parse.maxRows in server/config.ts (why that number: there). */
export const MAX_ROWS = configured.parse.maxRows;

/**
 * Cells per row and in a whole file (issue 12). A row's cells are an array in
 * the reader: a 52 MB CSV of one row of commas is 52 million of them and
 * exhausted the heap. 16,384 is Excel's own column limit (XFD); two million
 * cells is 100,000 rows of 20 columns, thirteen times the largest roster we
 * expect (10,000 employees × 15 columns), and costs the reader ≈ 100 MiB at
 * worst — far inside the parse's memory cap.
 */
export const MAX_COLUMNS = 16_384;
export const MAX_CELLS = 2_000_000;

/** The limits of server/config.ts, with any the caller overrides (tests tighten them). */
export function resolveLimits(opts: ParseOptions['limits'] = {}): ParseLimits {
  return {
    maxBytes: opts.maxBytes ?? configured.upload.maxFileBytes,
    parse: {
      maxMillis: opts.parse?.maxMillis ?? configured.parse.maxMillis,
      maxMemoryMiB: opts.parse?.maxMemoryMiB ?? configured.parse.maxMemoryMiB,
      maxCellChars: opts.parse?.maxCellChars ?? configured.parse.maxCellChars,
      maxRows: opts.parse?.maxRows ?? MAX_ROWS,
      maxColumns: opts.parse?.maxColumns ?? MAX_COLUMNS,
      maxCells: opts.parse?.maxCells ?? MAX_CELLS,
    },
    unpack: {
      maxTotalBytes: opts.unpack?.maxTotalBytes ?? configured.unpack.maxTotalBytes,
      maxEntries: opts.unpack?.maxEntries ?? configured.unpack.maxEntries,
      maxRatio: opts.unpack?.maxRatio ?? configured.unpack.maxRatio,
    },
  };
}
