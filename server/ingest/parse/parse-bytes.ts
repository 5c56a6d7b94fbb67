import { csvToGrid, decodeText, parseCsv } from './csv.js';
import { ParseError } from './errors.js';
import { extract } from './extract.js';
import { readPdf, type PdfJs } from './pdf.js';
import { sniff } from './sniff.js';
import type { ColumnChoice, FileFormat, ParseLimits, ParseResult, ParseWarning, SheetGrid, TextEncoding } from './types.js';
import { classifyCompoundFile, readWorkbook } from './workbook.js';
import { guardZip } from './zip-guard.js';

/**
 * The whole parse of one plaintext file, in the current thread: detect the
 * type by content, guard and read it, extract persons and review rows.
 * Call it only inside the parse worker (server/ingest/worker) — it has no
 * time or memory cap of its own.
 */
export interface ParseBytesOptions {
  columnChoices?: ColumnChoice[];
}

export interface ParseDeps {
  /** How to load pdf.js (the worker passes a native import; see worker/entry.mjs). */
  importPdfjs?: () => Promise<unknown>;
}

async function readSheets(bytes: Buffer, limits: ParseLimits, deps: ParseDeps): Promise<{ format: FileFormat; encoding?: TextEncoding; sheets: SheetGrid[]; warnings: ParseWarning[] }> {
  const warnings: ParseWarning[] = [];
  const truncated = (n: number) => {
    if (n) warnings.push({ key: 'ingest.warnings.cellTruncated', count: n });
  };
  switch (sniff(bytes)) {
    case 'zip': {
      const zip = await guardZip(bytes, limits);
      const wb = readWorkbook(bytes, limits, zip.parts);
      truncated(wb.truncatedCells);
      return { format: 'xlsx', sheets: wb.sheets, warnings };
    }
    case 'cfb': {
      const kind = classifyCompoundFile(bytes);
      if (kind === 'encrypted') throw new ParseError('encrypted', 'encrypted OOXML package');
      if (kind !== 'xls') throw new ParseError('unsupported', 'compound file that is not a workbook');
      const wb = readWorkbook(bytes, limits);
      truncated(wb.truncatedCells);
      return { format: 'xls', sheets: wb.sheets, warnings };
    }
    case 'pdf': {
      const pdf = await readPdf(bytes, limits, deps.importPdfjs as (() => Promise<PdfJs>) | undefined);
      truncated(pdf.truncatedCells);
      return { format: 'pdf', sheets: [pdf.sheet], warnings };
    }
    case 'text': {
      const { text, encoding, invalid } = decodeText(bytes);
      if (invalid) warnings.push({ key: 'ingest.warnings.invalidText', count: invalid });
      const csv = parseCsv(text, limits.parse);
      truncated(csv.truncatedCells);
      return { format: 'csv', encoding, sheets: [csvToGrid(csv.rows)], warnings };
    }
    default:
      throw new ParseError('unsupported', 'unknown content');
  }
}

export async function parseBytes(input: Uint8Array, limits: ParseLimits, opts: ParseBytesOptions = {}, deps: ParseDeps = {}): Promise<ParseResult> {
  if (input.length === 0) throw new ParseError('empty', 'zero bytes');
  if (input.length > limits.maxBytes) throw new ParseError('tooBig', 'file over the size limit');
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
  const read = await readSheets(bytes, limits, deps);
  if (!read.sheets.some((s) => Object.keys(s.rows).length)) throw new ParseError('empty', 'no cells');
  const result = extract(read.sheets, { columnChoices: opts.columnChoices });
  if (!result.sheets.some((s) => s.numberColumns.length) && !result.ambiguousColumns.length)
    throw new ParseError('noMyNumberColumn', 'no header names a My Number column');
  return {
    format: read.format,
    ...(read.encoding ? { encoding: read.encoding } : {}),
    sheets: result.sheets,
    persons: result.persons,
    review: result.review,
    ambiguousColumns: result.ambiguousColumns,
    warnings: [...read.warnings, ...result.warnings],
  };
}
