import { ParseError } from '../errors.js';
import type * as XLSX from '@e965/xlsx';
import type { DenseCell } from '../sheetjs-parts.js';
import type { ZipPart } from '../zip-guard.js';
import { CellFormats } from './cell-format.js';
import { readSheetData } from './sheet-data.js';
import { readSharedStrings } from './shared-strings.js';
import { mapWorkbook } from './workbook-map.js';
import { Decline } from './xml-text.js';

/**
 * A purpose-made reader for the cells of an xlsx, because SheetJS's generic
 * cell parsing (parse_ws_xml_data, parsexmltag, raw_unescapexml and their
 * garbage) is the largest single cost of an ingest: ~210 of ~265 ms for a
 * 10,000-employee roster. It reads the shared strings and each worksheet's
 * `<sheetData>` with indexOf scans over the decoded text and gives exactly
 * the dense cell rows SheetJS gives with kinko's options — SheetJS stays the
 * reference (the differential test compares the two on every workbook we
 * have) and the fallback: whatever this reader does not fully support it
 * declines, with a reason, and readWorkbook hands the file to SheetJS.
 * It never returns part of a workbook.
 *
 * The workbook's map (sheet names, order, parts, styles) is SheetJS's own
 * (workbook-map.ts); what each module declines is in its header.
 */
export type FastRead = { sheets: Array<{ name: string; data: DenseCell[][] }> } | { declined: string };

export function readXlsxFast(parts: ZipPart[], opts: XLSX.ParsingOptions, maxCells?: number): FastRead {
  try {
    const map = mapWorkbook(parts, opts);
    const strings = map.sharedStrings ? readSharedStrings(map.sharedStrings.data) : [];
    const ctx = { strings, formats: new CellFormats(map.cellXfs, map.formatTable, map.date1904), sheetRows: opts.sheetRows || Infinity, maxCells, cells: { n: 0 } };
    const read = new Map<ZipPart, DenseCell[][]>();
    const sheets = map.sheets.map(({ name, part }) => {
      let data = read.get(part);
      if (!data) read.set(part, (data = readSheetData(part.data, ctx)));
      return { name, data };
    });
    return { sheets };
  } catch (e) {
    if (e instanceof ParseError) throw e;
    // A Decline is the plan; anything else (a RangeError on a huge part, a bug) is declined too: SheetJS then decides.
    return { declined: e instanceof Decline ? e.reason : `error: ${e instanceof Error ? e.name : typeof e}` };
  }
}
