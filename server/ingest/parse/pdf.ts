import { createRequire } from 'node:module';
import path from 'node:path';
import { ParseError } from './errors.js';
import { checkPdfBudget } from './pdf-budget.js';
import { pageRows, type PdfColumn, type PositionedText } from './pdf-rows.js';
import type { ParseLimits, SheetGrid } from './types.js';

/**
 * PDF text through pdf.js (legacy build for Node). Hostile PDFs are the
 * reason for every option here: no eval (`isEvalSupported: false`), no font
 * loading, no XFA, no scripting (pdf.js never runs document JavaScript unless
 * a viewer wires a sandbox, and we do not), no network (data comes from
 * memory; CMaps and standard fonts from the installed package).
 */
const MAX_PAGES = 2000;

function assetsDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('pdfjs-dist/package.json'));
}

export type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

function mapError(e: unknown): ParseError {
  if (e instanceof ParseError) return e;
  const name = (e as { name?: string } | null)?.name ?? '';
  if (name === 'PasswordException') return new ParseError('encrypted', 'password-protected PDF');
  if (e instanceof RangeError) return new ParseError('tooBig', 'PDF too large to hold');
  return new ParseError('corrupt', `PDF does not parse (${name || 'error'})`);
}

export async function readPdf(
  bytes: Uint8Array,
  limits: ParseLimits,
  importPdfjs: () => Promise<PdfJs> = () => import('pdfjs-dist/legacy/build/pdf.mjs'),
): Promise<{ sheet: SheetGrid; truncatedCells: number }> {
  // Before pdf.js: it inflates streams without a limit of its own (pdf-budget.ts).
  checkPdfBudget(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits);
  const pdfjs = await importPdfjs();
  const dir = assetsDir();
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of (and may detach) the buffer it is given: hand it a copy.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    disableAutoFetch: true,
    disableStream: true,
    disableRange: true,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    stopAtErrors: false,
    verbosity: 0,
    cMapUrl: `${dir}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${dir}/standard_fonts/`,
  });
  let doc: Awaited<typeof task.promise> | undefined;
  try {
    doc = await task.promise;
    if (doc.numPages > MAX_PAGES) throw new ParseError('tooBig', 'too many PDF pages');
    const rows: string[][] = [];
    const rowLabels: number[] = [];
    const pages: number[] = [];
    let columns: PdfColumn[] | undefined;
    let truncatedCells = 0;
    let anyText = false;
    // Text items and cells across the document, under the same cap as every reader (limits.parse.maxCells).
    let held = 0;
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent({ includeMarkedContent: false, disableNormalization: false });
      const items: PositionedText[] = [];
      for (const it of content.items) {
        if (!('str' in it) || typeof it.str !== 'string') continue;
        if (++held > limits.parse.maxCells) throw new ParseError('tooBig', 'more PDF text items than the limit');
        let str = it.str;
        if (str.length > limits.parse.maxCellChars) {
          str = str.slice(0, limits.parse.maxCellChars);
          truncatedCells++;
        }
        if (str.trim()) anyText = true;
        const t = it.transform as number[];
        items.push({ str, x: Number(t[4]), y: Number(t[5]), width: Number(it.width) || 0, height: Number(it.height) || Math.abs(Number(t[3])) || 10 });
      }
      page.cleanup();
      const result = pageRows(items, columns, p === 1);
      columns = result.columns;
      result.rows.forEach((cells, i) => {
        if (rows.length >= limits.parse.maxRows) throw new ParseError('tooManyRows', 'more rows than the limit');
        if (cells.length > limits.parse.maxColumns) throw new ParseError('tooBig', 'more columns in a row than the limit');
        rows.push(cells);
        rowLabels.push(i + 1);
        pages.push(p);
      });
    }
    if (!anyText) throw new ParseError('noText', 'PDF without text (scanned image?)');
    return { sheet: { name: 'PDF', rows, rowLabels, pages }, truncatedCells };
  } catch (e) {
    throw mapError(e);
  } finally {
    await (doc ? doc.destroy() : task.destroy()).catch(() => undefined);
  }
}
