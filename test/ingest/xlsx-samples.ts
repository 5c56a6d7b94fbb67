import * as XLSX from '@e965/xlsx';
import { READ_OPTIONS } from '../../server/ingest/parse/sheetjs-parts.js';
import type { ParseLimits } from '../../server/ingest/parse/types.js';
import { readWorkbook, readWorkbookWithSheetJs, type ReadWorkbookResult } from '../../server/ingest/parse/workbook.js';
import { readXlsxFast, type FastRead } from '../../server/ingest/parse/xlsx-reader/index.js';
import { guardZip, type ZipPart } from '../../server/ingest/parse/zip-guard.js';
import { resolveLimits } from '../../server/ingest/parse/limits.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { workbookEntries, type WorkbookSpec } from './xlsx-parts.js';

/**
 * Workbooks for the fast-reader tests, and the comparison they all make:
 * readWorkbook (fast reader first) against the SheetJS path alone, on the
 * same parts — equal results, or the same ParseError.
 */
export const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const STYLES_CT = '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>';

/** Parts of a hand-made workbook (xlsx-parts.ts), not passed through the zip guard; optionally with a styles.xml. */
export function handParts(spec: WorkbookSpec & { styles?: string }): ZipPart[] {
  const entries = workbookEntries(spec).map((e) => ({ name: e.name, data: e.data! }));
  if (spec.styles !== undefined) {
    const ct = entries[0]!;
    ct.data = Buffer.from(ct.data.toString('utf8').replace('</Types>', `${STYLES_CT}</Types>`));
    entries.push({ name: 'xl/styles.xml', data: Buffer.from(spec.styles) });
  }
  return entries;
}

/** A worksheet from raw `<sheetData>` content. */
export function rawSheet(sheetData: string, before = ''): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ${NS}>${before}<sheetData>${sheetData}</sheetData></worksheet>`;
}

export function sst(items: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst ${NS} count="${items.length}" uniqueCount="${items.length}">${items.map((x) => `<si>${x}</si>`).join('')}</sst>`;
}

export function styles(numFmts: Array<[number, string]>, xfNumFmtIds: number[]): string {
  const fmts = numFmts.map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${code.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"/>`).join('');
  const xfs = xfNumFmtIds.map((id) => `<xf numFmtId="${id}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`).join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet ${NS}><numFmts count="${numFmts.length}">${fmts}</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="${xfNumFmtIds.length}">${xfs}</cellXfs></styleSheet>`;
}

/** A SheetJS-written xlsx, unpacked by the zip guard as an upload would be. */
export async function sheetJsParts(wb: XLSX.WorkBook, opts: Partial<XLSX.WritingOptions> = {}): Promise<ZipPart[]> {
  const bytes = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', ...opts }) as Buffer;
  return (await guardZip(bytes, resolveLimits())).parts;
}

/** A roster-like grid with every kind of cell, from a seed. */
export function mixedSheet(seed: number, rows: number): XLSX.WorkSheet {
  const numbers = syntheticMyNumbers(rows, seed);
  const fmts = ['General', '0', '0.00', '@', '0%', 'yyyy/mm/dd', 'm/d/yy', '#,##0', '0.00E+00', '[$-411]ge.m.d', '000000000000', 'h:mm:ss'];
  const aoa: unknown[][] = [['氏名', '個人番号', '数値', '日付', '真偽', '備考']];
  for (let r = 0; r < rows; r++) {
    const k = (seed * 31 + r * 7) % 97;
    aoa.push([
      `社員 ${r} & <${k}> "q"`,
      r % 3 === 0 ? Number(numbers[r]) : r % 3 === 1 ? numbers[r] : Number(numbers[r]!.slice(1)),
      r % 4 === 0 ? k / 7 : k * 1000 + 0.5,
      40000 + k * 13.25,
      k % 2 === 0,
      r % 5 === 0 ? '' : r % 5 === 1 ? ' 前後に空白 ' : r % 5 === 2 ? 'line\r\nbreak' : r % 5 === 3 ? '_x000D_ and _x0041_' : 'ｶﾅ ｶﾞ 髙﨑',
    ]);
  }
  const ws = XLSX.utils.aoa_to_sheet(aoa);
  for (let r = 1; r <= rows; r++) {
    for (const c of [1, 2, 3]) {
      const cell = ws[XLSX.utils.encode_cell({ r, c })] as XLSX.CellObject | undefined;
      if (cell && cell.t === 'n') cell.z = fmts[(r + c + seed) % fmts.length]!;
    }
  }
  ws['G2'] = { t: 'e', v: 0x07 };
  ws['!ref'] = XLSX.utils.encode_range({ s: { r: 0, c: 0 }, e: { r: rows, c: 6 } });
  return ws;
}

export const readOpts = (limits: ParseLimits): XLSX.ParsingOptions => ({ ...READ_OPTIONS, type: 'buffer', sheetRows: limits.parse.maxRows + 1 });

type Outcome = { ok: ReadWorkbookResult } | { error: string };
const outcome = (f: () => ReadWorkbookResult): Outcome => {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: `${(e as Error).name}:${(e as { code?: string }).code ?? (e as Error).message}` };
  }
};

/** Both paths on the same parts, and what the fast reader decided. */
export function bothWays(parts: ZipPart[], limits: ParseLimits): { fast: FastRead; got: Outcome; want: Outcome } {
  const bytes = Buffer.alloc(0);
  return {
    fast: readXlsxFast(parts, readOpts(limits)),
    got: outcome(() => readWorkbook(bytes, limits, parts)),
    want: outcome(() => readWorkbookWithSheetJs(bytes, limits, parts)),
  };
}
