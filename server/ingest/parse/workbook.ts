import * as XLSX from '@e965/xlsx';
import { ParseError } from './errors.js';
import type { ParseLimits, SheetGrid } from './types.js';
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
 */
export interface ReadWorkbookResult {
  sheets: SheetGrid[];
  truncatedCells: number;
}

const READ_OPTIONS: XLSX.ParsingOptions = {
  dense: true,
  cellFormula: false,
  cellHTML: false,
  cellStyles: false,
  cellNF: false,
  cellDates: false,
  cellText: true,
  bookVBA: false,
  bookFiles: false,
  bookDeps: false,
  sheetStubs: false,
  WTF: false,
  xlfn: false,
  nodim: true,
};

type DenseCell = { t?: string; v?: unknown; w?: string };

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

/**
 * SheetJS stores sheets in a plain object, so a sheet named "__proto__" ends
 * up as that object's prototype instead of an own key (no global pollution —
 * only wb.Sheets is affected). Look sheets up as own keys, and find that one
 * where SheetJS put it, so a hostile name neither breaks nor hides a sheet.
 */
function sheetByName(wb: XLSX.WorkBook, name: string): XLSX.WorkSheet | undefined {
  if (Object.prototype.hasOwnProperty.call(wb.Sheets, name)) return (wb.Sheets as Record<string, XLSX.WorkSheet>)[name];
  if (name === '__proto__') {
    const proto: unknown = Object.getPrototypeOf(wb.Sheets);
    if (proto && proto !== Object.prototype) return proto as XLSX.WorkSheet;
  }
  return undefined;
}

// Exported by SheetJS (xlsx.mjs) but not in its typings: the zip container API and the reader that takes one.
interface SheetJsZip {
  parse_zip(zip: unknown, opts: XLSX.ParsingOptions): XLSX.WorkBook;
  CFB: { utils: { cfb_new(): unknown; cfb_add(zip: unknown, name: string, content: Buffer, opts: { unsafe: boolean }): unknown } };
}

/** What XLSX.read does after unpacking a zip: the same container (names, order), filled with the guard's parts. */
function readParts(parts: ZipPart[], opts: XLSX.ParsingOptions): XLSX.WorkBook {
  const sheetjs = XLSX as unknown as SheetJsZip;
  const zip = sheetjs.CFB.utils.cfb_new();
  for (const part of parts) sheetjs.CFB.utils.cfb_add(zip, part.name, part.data, { unsafe: true });
  return sheetjs.parse_zip(zip, opts);
}

/** A workbook: `parts` for an xlsx the zip guard has unpacked, else (xls) the file's bytes. */
export function readWorkbook(bytes: Buffer, limits: ParseLimits, parts?: ZipPart[]): ReadWorkbookResult {
  let wb: XLSX.WorkBook;
  try {
    const opts: XLSX.ParsingOptions = { ...READ_OPTIONS, type: 'buffer', sheetRows: limits.parse.maxRows + 1 };
    // (Should a SheetJS release stop exporting parse_zip, it unpacks the file itself again: slower, same result.)
    const direct = parts && typeof (XLSX as unknown as Partial<SheetJsZip>).parse_zip === 'function';
    wb = direct ? readParts(parts, opts) : XLSX.read(bytes, opts);
  } catch (e) {
    mapError(e);
  }
  const cap = limits.parse.maxCellChars;
  let truncatedCells = 0;
  const sheets: SheetGrid[] = [];
  const names = Array.isArray(wb.SheetNames) ? wb.SheetNames : [];
  for (const name of names) {
    const ws = sheetByName(wb, name);
    const data = (ws as { '!data'?: DenseCell[][] } | undefined)?.['!data'];
    const rows: string[][] = [];
    const numeric: Array<Array<number | undefined> | undefined> = [];
    if (Array.isArray(data)) {
      if (data.length > limits.parse.maxRows) throw new ParseError('tooBig', 'more rows than the limit');
      data.forEach((row, r) => {
        if (!Array.isArray(row)) return;
        row.forEach((cell, c) => {
          if (!cell || typeof cell !== 'object') return;
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
    sheets.push({ name: String(name), rows, numeric });
  }
  return { sheets, truncatedCells };
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
