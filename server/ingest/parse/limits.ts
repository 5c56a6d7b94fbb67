import { limits as configured } from '../../config.js';
import type { ParseLimits, ParseOptions } from './types.js';

/**
 * Rows per sheet kinko reads. Not in config.ts (not this module's file to
 * edit); the largest roster we expect is ~10,000 employees, so this leaves
 * ten times the room while refusing sheets that claim a million rows.
 */
export const MAX_ROWS = 100_000;

/** The limits of server/config.ts, with any the caller overrides (tests tighten them). */
export function resolveLimits(opts: ParseOptions['limits'] = {}): ParseLimits {
  return {
    maxBytes: opts.maxBytes ?? configured.upload.maxFileBytes,
    parse: {
      maxMillis: opts.parse?.maxMillis ?? configured.parse.maxMillis,
      maxMemoryMiB: opts.parse?.maxMemoryMiB ?? configured.parse.maxMemoryMiB,
      maxCellChars: opts.parse?.maxCellChars ?? configured.parse.maxCellChars,
      maxRows: opts.parse?.maxRows ?? MAX_ROWS,
    },
    unpack: {
      maxTotalBytes: opts.unpack?.maxTotalBytes ?? configured.unpack.maxTotalBytes,
      maxEntries: opts.unpack?.maxEntries ?? configured.unpack.maxEntries,
      maxRatio: opts.unpack?.maxRatio ?? configured.unpack.maxRatio,
    },
  };
}
