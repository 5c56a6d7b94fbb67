import { ParseError } from './errors.js';
import { MAX_CELLS, MAX_COLUMNS } from './limits.js';
import type { SheetGrid, TextEncoding } from './types.js';

/**
 * CSV as clients' programs write it: UTF-8 with or without BOM, Shift_JIS
 * (CP932, what Excel for Japanese Windows saves), or UTF-16 with BOM (Excel's
 * "Unicode text"). The encoding is detected, never assumed: UTF-8 when the
 * bytes decode as strict UTF-8, else CP932 when they decode as that.
 * The parser is a single-pass RFC 4180 state machine — no regexes over the
 * text, so no input can make it backtrack.
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding; invalid: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes.subarray(3));
    return { text, encoding: 'utf-8-bom', invalid: countReplacement(text) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', invalid: 0 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', invalid: 0 };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8', invalid: 0 };
  } catch {
    /* not UTF-8: try CP932 */
  }
  try {
    return { text: new TextDecoder('shift_jis', { fatal: true }).decode(bytes), encoding: 'shift_jis', invalid: 0 };
  } catch {
    // Mostly CP932 with a few stray bytes: read it, and say how many characters were lost.
    const text = new TextDecoder('shift_jis', { fatal: false }).decode(bytes);
    const invalid = countReplacement(text);
    if (invalid > Math.max(16, text.length / 100)) throw new ParseError('corrupt', 'text in no known encoding');
    return { text, encoding: 'shift_jis', invalid };
  }
}

function countReplacement(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) n++;
  return n;
}

/** Comma unless the first line has more tabs (TSV / Excel "Unicode text") or semicolons outside quotes. */
function detectDelimiter(text: string): string {
  let commas = 0;
  let tabs = 0;
  let semis = 0;
  let quoted = false;
  for (let i = 0; i < text.length && i < 65536; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted) {
      if (ch === '\n' || ch === '\r') break;
      if (ch === ',') commas++;
      else if (ch === '\t') tabs++;
      else if (ch === ';') semis++;
    }
  }
  if (tabs > commas && tabs >= semis) return '\t';
  if (semis > commas) return ';';
  return ',';
}

export interface CsvLimits {
  maxCellChars: number;
  maxRows: number;
  /** Cells in one row / in the whole file (default limits.ts): refused as too big the moment one more would be kept. */
  maxColumns?: number;
  maxCells?: number;
}

export function parseCsv(text: string, limits: CsvLimits): { rows: string[][]; truncatedCells: number } {
  const delimiter = detectDelimiter(text);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell: string[] = [];
  let cellLength = 0;
  let started = false;
  let truncated = false;
  let truncatedCells = 0;
  let cells = 0;
  const maxColumns = limits.maxColumns ?? MAX_COLUMNS;
  const maxCells = limits.maxCells ?? MAX_CELLS;
  const n = text.length;

  // Cell text beyond the cap is dropped (and counted), never buffered.
  const take = (s: string) => {
    started = true;
    if (!s) return;
    const room = limits.maxCellChars - cellLength;
    if (s.length > room) {
      if (room > 0) cell.push(s.slice(0, room));
      cellLength = limits.maxCellChars;
      truncated = true;
    } else {
      cell.push(s);
      cellLength += s.length;
    }
  };
  const endCell = () => {
    // Counted before the cell is kept: a row of millions of empty cells stops here, not in the heap (issue 12).
    if (row.length >= maxColumns) throw new ParseError('tooBig', 'more columns in a row than the limit');
    if (++cells > maxCells) throw new ParseError('tooBig', 'more cells than the limit');
    row.push(cell.join(''));
    if (truncated) truncatedCells++;
    cell = [];
    cellLength = 0;
    started = false;
    truncated = false;
  };
  const endRow = () => {
    endCell();
    if (rows.length >= limits.maxRows) throw new ParseError('tooManyRows', 'more rows than the limit');
    rows.push(row.length === 1 && row[0] === '' ? [] : row);
    row = [];
  };

  let i = 0;
  while (i < n) {
    const ch = text[i];
    if (ch === '"' && !started) {
      // Quoted cell: runs up to the closing quote; "" is a literal quote.
      started = true;
      i++;
      for (;;) {
        const j = text.indexOf('"', i);
        if (j === -1) {
          take(text.slice(i));
          i = n;
          break;
        }
        take(text.slice(i, j));
        if (text[j + 1] === '"') {
          take('"');
          i = j + 2;
          continue;
        }
        i = j + 1;
        break;
      }
      continue;
    }
    if (ch === delimiter) {
      endCell();
      i++;
    } else if (ch === '\r') {
      endRow();
      i += text[i + 1] === '\n' ? 2 : 1;
    } else if (ch === '\n') {
      endRow();
      i++;
    } else {
      let j = i + 1;
      while (j < n) {
        const c = text[j];
        if (c === delimiter || c === '\r' || c === '\n') break;
        j++;
      }
      take(text.slice(i, j));
      i = j;
    }
  }
  if (started || row.length) endRow();
  return { rows, truncatedCells };
}

export function csvToGrid(rows: string[][]): SheetGrid {
  return { name: 'CSV', rows };
}
