import * as XLSX from '@e965/xlsx';
import type { ZipPart } from './zip-guard.js';

/**
 * What both workbook readers share with SheetJS: the options kinko reads
 * with, the dense cell shape, the zip container SheetJS reads from the zip
 * guard's parts, and the `__proto__`-safe sheet lookup. Kept apart from
 * workbook.ts so the fast xlsx reader (xlsx-reader/) can ask SheetJS for the
 * workbook's map with exactly the options the SheetJS path uses.
 */
export const READ_OPTIONS: XLSX.ParsingOptions = {
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

export type DenseCell = { t?: string; v?: unknown; w?: string };

// Exported by SheetJS (xlsx.mjs) but not in its typings: the zip container API and the reader that takes one.
interface SheetJsZip {
  parse_zip(zip: unknown, opts: XLSX.ParsingOptions): XLSX.WorkBook;
  CFB: { utils: { cfb_new(): unknown; cfb_add(zip: unknown, name: string, content: Buffer, opts: { unsafe: boolean }): unknown } };
}

/** Whether this SheetJS release still exports the zip-container reader (else XLSX.read unpacks again). */
export function canReadParts(): boolean {
  return typeof (XLSX as unknown as Partial<SheetJsZip>).parse_zip === 'function';
}

/** What XLSX.read does after unpacking a zip: the same container (names, order), filled with the guard's parts. */
export function readParts(parts: ZipPart[], opts: XLSX.ParsingOptions): XLSX.WorkBook {
  const sheetjs = XLSX as unknown as SheetJsZip;
  const zip = sheetjs.CFB.utils.cfb_new();
  for (const part of parts) sheetjs.CFB.utils.cfb_add(zip, part.name, part.data, { unsafe: true });
  return sheetjs.parse_zip(zip, opts);
}

/**
 * SheetJS stores sheets in a plain object, so a sheet named "__proto__" ends
 * up as that object's prototype instead of an own key (no global pollution —
 * only wb.Sheets is affected). Look sheets up as own keys, and find that one
 * where SheetJS put it, so a hostile name neither breaks nor hides a sheet.
 */
export function sheetByName(wb: XLSX.WorkBook, name: string): XLSX.WorkSheet | undefined {
  if (Object.prototype.hasOwnProperty.call(wb.Sheets, name)) return (wb.Sheets as Record<string, XLSX.WorkSheet>)[name];
  if (name === '__proto__') {
    const proto: unknown = Object.getPrototypeOf(wb.Sheets);
    if (proto && proto !== Object.prototype) return proto as XLSX.WorkSheet;
  }
  return undefined;
}

/** The dense cell rows SheetJS made for a sheet (sparse: only rows that hold a cell). */
export function denseData(ws: XLSX.WorkSheet | undefined): DenseCell[][] | undefined {
  const data = (ws as { '!data'?: DenseCell[][] } | undefined)?.['!data'];
  return Array.isArray(data) ? data : undefined;
}
