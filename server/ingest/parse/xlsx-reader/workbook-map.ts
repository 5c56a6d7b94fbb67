import { randomUUID } from 'node:crypto';
import * as XLSX from '@e965/xlsx';
import { denseData, readParts, sheetByName } from '../sheetjs-parts.js';
import type { ZipPart } from '../zip-guard.js';
import { decline } from './xml-text.js';

/**
 * Which part holds which sheet, under which name, with which styles — asked
 * of SheetJS itself rather than re-implemented: SheetJS reads the workbook
 * with every worksheet part swapped for a one-cell stub naming that part,
 * and every shared-strings part emptied. That read is cheap (only the small
 * parts are left), and whatever SheetJS decides about content types,
 * relationships, part-name case, sheet order, hidden sheets or a sheet
 * called `__proto__` is then exactly what it decided, not our guess of it.
 * Its number-format table and cellXfs are taken right after that read,
 * before anything else can touch SheetJS's global format table.
 *
 * Declined: anything but an xlsx (xlsb, ods…), a sheet SheetJS did not read
 * from a stubbed worksheet part (chartsheets, odd paths), a sheet it found
 * more in than the stub (comments add cells), a shared-strings part it
 * cannot be matched to one part by name.
 */
export interface WorkbookMap {
  sheets: Array<{ name: string; part: ZipPart }>;
  sharedStrings: ZipPart | undefined;
  cellXfs: unknown;
  formatTable: Record<string, string>;
  /** SheetJS formats with the workbook's date system (its global options, set from workbookPr). */
  date1904: boolean;
}

// Stub texts carry a per-process nonce, so no file can contain a cell that passes for one.
const NONCE = randomUUID();
const WORKSHEET = /^xl\/worksheets\/[^/]+\.xml$/i;
const SHARED_STRINGS = /sharedStrings[^/]*\.xml$/i;
const EMPTY_SST = Buffer.from('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>');

function stub(k: number): Buffer {
  return Buffer.from(
    `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="str"><v>${NONCE}:${k}</v></c></row></sheetData></worksheet>`,
  );
}

/** The stubbed part a sheet came from, or undefined when SheetJS read anything else for it. */
function stubbedPart(ws: XLSX.WorkSheet | undefined, parts: ZipPart[]): ZipPart | undefined {
  const data = denseData(ws);
  if (!data || data.length !== 1 || !Array.isArray(data[0]) || data[0].length !== 1) return undefined;
  const v = data[0][0]?.v;
  if (typeof v !== 'string' || !v.startsWith(`${NONCE}:`)) return undefined;
  return parts[Number(v.slice(NONCE.length + 1))];
}

export function mapWorkbook(parts: ZipPart[], opts: XLSX.ParsingOptions): WorkbookMap {
  const stubbed = parts.map((p, k) => (WORKSHEET.test(p.name) ? { name: p.name, data: stub(k) } : SHARED_STRINGS.test(p.name) ? { name: p.name, data: EMPTY_SST } : p));
  let wb: XLSX.WorkBook;
  try {
    wb = readParts(stubbed, opts);
  } catch {
    return decline('SheetJS does not read the workbook');
  }
  const formatTable = { ...(XLSX.SSF.get_table() as Record<string, string>) };
  if ((wb as { bookType?: string }).bookType !== 'xlsx') decline('not an xlsx workbook');
  const names = Array.isArray(wb.SheetNames) ? wb.SheetNames : [];
  const sheets = names.map((name) => {
    const part = stubbedPart(sheetByName(wb, name), parts);
    return part ? { name: String(name), part } : decline('sheet not from a plain worksheet part');
  });
  const dir = (wb as { Directory?: { sst?: unknown } }).Directory;
  let sharedStrings: ZipPart | undefined;
  if (typeof dir?.sst === 'string' && dir.sst !== '') {
    const want = (dir.sst.startsWith('/') ? dir.sst.slice(1) : dir.sst).toLowerCase();
    const found = parts.filter((p) => p.name.toLowerCase() === want);
    if (found.length !== 1 || want.endsWith('.bin')) decline('shared strings part not found once');
    sharedStrings = found[0];
  }
  const date1904 = (wb.Workbook as { WBProps?: { date1904?: unknown } } | undefined)?.WBProps?.date1904 === true;
  return { sheets, sharedStrings, cellXfs: (wb as { Styles?: { CellXf?: unknown } }).Styles?.CellXf, formatTable, date1904 };
}
