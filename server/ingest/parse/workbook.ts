import * as XLSX from '@e965/xlsx';
import { ParseError } from './errors.js';
import { canReadParts, denseData, READ_OPTIONS, readParts, sheetByName, type DenseCell } from './sheetjs-parts.js';
import type { ParseLimits, SheetGrid } from './types.js';
import { readXlsxFast } from './xlsx-reader/index.js';
import type { ZipPart } from './zip-guard.js';

/**
 * Excel workbooks (xlsx after the zip guard, legacy xls) through SheetJS,
 * with everything we do not need switched off: no formulas (nothing is
 * evaluated — cached values only), no styles, no VBA, no HTML. `dense` keeps
 * rows as arrays of the cells that exist, `sheetRows` stops at the row cap,
 * and we walk the cells that are there — never the `!ref` a file claims, so
 * a dimension of A1:XFD1048576 costs nothing.
 *
 * An xlsx arrives already unpacked by the zip guard (its `parts`): SheetJS
 * gets them as its own zip container and reads those bytes — the ones the
 * guard checked — instead of unpacking the file a second time in JavaScript.
 * Before that, the fast reader (xlsx-reader/) tries the same parts: it gives
 * the same cells several times faster, or declines and SheetJS reads them.
 */
export interface ReadWorkbookResult {
  sheets: SheetGrid[];
  truncatedCells: number;
}

/** Off only to measure or to rule the fast reader out; its output is SheetJS's either way. */
export const FAST_XLSX_READER = true;

function cellText(cell: DenseCell): string {
  if (cell.t === 's') return typeof cell.v === 'string' ? cell.v : String(cell.v ?? '');
  if (typeof cell.w === 'string') return cell.w;
  if (cell.v === undefined || cell.v === null) return '';
  return cell.v instanceof Date ? cell.v.toISOString().slice(0, 10) : String(cell.v);
}

function mapError(e: unknown): never {
  if (e instanceof ParseError) throw e;
  const message = e instanceof Error ? e.message : String(e);
  if (/password|encrypt/i.test(message)) throw new ParseError('encrypted', 'password-protected workbook');
  if (e instanceof RangeError) throw new ParseError('tooBig', 'workbook too large to hold');
  throw new ParseError('corrupt', 'workbook does not parse');
}

type NamedData = Array<{ name: string; data: DenseCell[][] | undefined }>;

function readOptions(limits: ParseLimits): XLSX.ParsingOptions {
  return { ...READ_OPTIONS, type: 'buffer', sheetRows: limits.parse.maxRows + 1 };
}

function sheetJsData(bytes: Buffer, limits: ParseLimits, parts?: ZipPart[]): NamedData {
  let wb: XLSX.WorkBook;
  try {
    const opts = readOptions(limits);
    // (Should a SheetJS release stop exporting parse_zip, it unpacks the file itself again: slower, same result.)
    wb = parts && canReadParts() ? readParts(parts, opts) : XLSX.read(bytes, opts);
  } catch (e) {
    mapError(e);
  }
  const names = Array.isArray(wb.SheetNames) ? wb.SheetNames : [];
  return names.map((name) => ({ name: String(name), data: denseData(sheetByName(wb, name)) }));
}

/** SheetJS's dense cells → text grids: the row cap, the cell-text cap, empty text cells left out. */
function toGrids(named: NamedData, limits: ParseLimits): ReadWorkbookResult {
  const cap = limits.parse.maxCellChars;
  let truncatedCells = 0;
  let cells = 0;
  const sheets: SheetGrid[] = [];
  for (const { name, data } of named) {
    const rows: string[][] = [];
    const numeric: Array<Array<number | undefined> | undefined> = [];
    if (data) {
      if (data.length > limits.parse.maxRows) throw new ParseError('tooManyRows', 'more rows than the limit');
      data.forEach((row, r) => {
        if (!Array.isArray(row)) return;
        if (row.length > limits.parse.maxColumns) throw new ParseError('tooBig', 'more columns in a row than the limit');
        row.forEach((cell, c) => {
          if (!cell || typeof cell !== 'object') return;
          if (++cells > limits.parse.maxCells) throw new ParseError('tooBig', 'more cells than the limit');
          let text = cellText(cell);
          if (text.length > cap) {
            text = text.slice(0, cap);
            truncatedCells++;
          }
          if (text === '' && cell.t !== 'n') return;
          (rows[r] ??= [])[c] = text;
          if (cell.t === 'n' && typeof cell.v === 'number') (numeric[r] ??= [])[c] = cell.v;
        });
      });
    }
    sheets.push({ name, rows, numeric });
  }
  return { sheets, truncatedCells };
}

/** The SheetJS path alone (the reference the fast reader is tested against). */
export function readWorkbookWithSheetJs(bytes: Buffer, limits: ParseLimits, parts?: ZipPart[]): ReadWorkbookResult {
  return toGrids(sheetJsData(bytes, limits, parts), limits);
}

/** A workbook: `parts` for an xlsx the zip guard has unpacked, else (xls) the file's bytes. */
export function readWorkbook(bytes: Buffer, limits: ParseLimits, parts?: ZipPart[]): ReadWorkbookResult {
  if (parts && FAST_XLSX_READER && canReadParts()) {
    const fast = readXlsxFast(parts, readOptions(limits), limits.parse.maxCells);
    if ('sheets' in fast) return toGrids(fast.sheets, limits);
  }
  return readWorkbookWithSheetJs(bytes, limits, parts);
}

/** What is inside an OLE compound file: a legacy workbook, an encrypted OOXML package, or something else. */
export function classifyCompoundFile(bytes: Buffer): 'xls' | 'encrypted' | 'other' {
  let cfb: ReturnType<typeof XLSX.CFB.read>;
  try {
    cfb = XLSX.CFB.read(bytes, { type: 'buffer' });
  } catch {
    throw new ParseError('corrupt', 'compound file does not parse');
  }
  if (XLSX.CFB.find(cfb, 'EncryptedPackage') || XLSX.CFB.find(cfb, 'EncryptionInfo')) return 'encrypted';
  if (XLSX.CFB.find(cfb, '/Workbook') || XLSX.CFB.find(cfb, '/Book')) return 'xls';
  return 'other';
}
