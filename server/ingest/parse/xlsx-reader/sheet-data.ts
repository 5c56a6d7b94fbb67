import type { DenseCell } from '../sheetjs-parts.js';
import { CellFormats, formatValue } from './cell-format.js';
import { stringItemText } from './shared-strings.js';
import { newTagAttributes, readAttributes, type TagAttributes } from './tag-attributes.js';
import { ParseError } from '../errors.js';
import { checkProlog, decline, isAscii, isAsciiSpace, partText, refusePrefixes, unescapeXlsx, unescapeXml } from './xml-text.js';

/**
 * A worksheet's `<sheetData>` → the dense cell rows SheetJS's
 * parse_ws_xml_data would make (dense, cellText on, no formulas, no stubs),
 * by one indexOf/charCode scan instead of SheetJS's split-and-regex per row
 * and per cell, which the ingest profile showed to be its cost.
 *
 * Positions as SheetJS: a row without `r` is the previous row + 1, a cell
 * without `r` the previous cell + 1; rows past `sheetRows` are skipped (a
 * far-away row costs nothing: the rows are a sparse array). Only the cached
 * value of a formula is read. Declined (SheetJS reads the file instead):
 * anything but whitespace between elements, children other than `<v>`, `<f>`
 * and `<is>`, `$`/lower-case/out-of-range references, a cell whose row is not
 * its row's, date cells (t="d"), unknown types, non-ASCII in values, a shared
 * string index past the table, hyperlinks and legacy drawings (SheetJS adds
 * cells for those).
 */
export interface SheetContext {
  strings: readonly string[];
  formats: CellFormats;
  /** SheetJS's sheetRows: rows numbered past it are not read. */
  sheetRows: number;
  /** Cells the whole workbook may hold (limits.parse.maxCells), counted across its sheets in `cells`. */
  maxCells?: number;
  cells?: { n: number };
}

const MAX_COLUMN = 16383; // XFD

/** The `r="…"` SheetJS's cell regex would see first is the cell's own `r` (or, without one, there is none). */
function checkFirstRef(xml: string, from: number, to: number, rAt: number): void {
  for (let k = xml.indexOf('r=', from); k >= 0 && k < to; k = xml.indexOf('r=', k + 1)) {
    const q = xml.charCodeAt(k + 2);
    if (q === 34 || q === 39) {
      if (k !== rAt) decline('reference SheetJS would read elsewhere');
      return;
    }
  }
  if (rAt >= 0) decline('reference SheetJS would not read');
}

/** xml[from, to) as digits only, no leading zero, at most ten: the number; else -1. */
function plainNumber(xml: string, from: number, to: number): number {
  const len = to - from;
  if (len < 1 || len > 10 || (xml.charCodeAt(from) === 48 && len > 1)) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = xml.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The reference xml[from, to) ("B12") → row 12 into `refRow`, column 1 returned; declined unless plain A1 style within XFD. */
let refRow = 0;
function parseRef(xml: string, from: number, to: number): number {
  let c = 0;
  let i = from;
  for (; i < to; i++) {
    const ch = xml.charCodeAt(i);
    if (ch < 65 || ch > 90) break;
    c = c * 26 + (ch - 64);
  }
  if (i === from || i - from > 3 || c - 1 > MAX_COLUMN) decline('odd cell reference');
  refRow = plainNumber(xml, i, to);
  if (refRow < 1) decline('odd cell reference');
  return c - 1;
}

/** The value SheetJS builds from type `t`, the `<v>` text and the `<is>` body; undefined where SheetJS skips the cell. */
function cellValue(xml: string, vFrom: number, vTo: number, t: string | undefined, is: string | undefined, s: string | undefined, ctx: SheetContext): DenseCell | undefined {
  if (t === 's') {
    if (vFrom === vTo) return undefined;
    const idx = plainNumber(xml, vFrom, vTo);
    if (idx < 0) decline('odd shared string index');
    if (idx >= ctx.strings.length) decline('shared string index past the table');
    return { t: 's', v: ctx.strings[idx] };
  }
  const v = vFrom === vTo ? undefined : xml.slice(vFrom, vTo);
  if (v !== undefined && t !== 'str' && t !== 'inlineStr' && !isAscii(v)) decline('non-ASCII value');
  switch (t) {
    case undefined:
    case 'n': {
      if (v === undefined) return undefined;
      const n = parseFloat(unescapeXml(v));
      return { t: 'n', v: n, w: formatValue(ctx.formats, s, n) };
    }
    case 'str': {
      if (v === undefined) return { t: 's', v: '' };
      // SheetJS unescapes a formula string twice, the first time on its bytes: do the same, byte for byte.
      if (v.indexOf('&') < 0 && v.indexOf('_') < 0) return { t: 's', v: unescapeXlsx(v) };
      const once = unescapeXml(Buffer.from(v, 'utf8').toString('latin1'));
      return { t: 's', v: unescapeXlsx(Buffer.from(once, 'latin1').toString('utf8')) };
    }
    case 'inlineStr':
      return { t: 's', v: is === undefined ? '' : stringItemText(is) };
    case 'b': {
      const b = v !== undefined && ((x) => x === '1' || x === 'true')(unescapeXml(v));
      return { t: 'b', v: b, w: formatValue(ctx.formats, s, b) };
    }
    case 'e':
      return { t: 'e', w: v === undefined ? undefined : unescapeXml(v) };
    default:
      return decline(`cell type ${t}`);
  }
}

/** Reads one cell from `at` (its `<`); returns the index after it. */
function readCell(xml: string, at: number, a: TagAttributes, ctx: SheetContext, row: number, place: (c: number | undefined, cell: DenseCell | undefined) => void): number {
  const after = xml.charCodeAt(at + 2);
  if (after !== 32 && after !== 47 && after !== 62) decline('odd cell tag');
  readAttributes(xml, at + 2, a);
  const { s, t, rAt, rFrom, rTo } = a;
  let i = a.end;
  let vFrom = -1;
  let vTo = -1;
  let is: string | undefined;
  if (!a.selfClosing) {
    for (;;) {
      while (isAsciiSpace(xml.charCodeAt(i))) i++;
      if (xml.startsWith('</c>', i)) {
        i += 4;
        break;
      }
      if (xml.startsWith('<v', i) && (xml.charCodeAt(i + 2) === 62 || xml.charCodeAt(i + 2) === 32)) {
        // `<v>` or `<v xml:space="preserve">` (SheetJS writes that): attributes are ignored, as by SheetJS.
        const gt = xml.indexOf('>', i);
        const e = gt < 0 ? -1 : xml.indexOf('<', gt);
        if (vFrom >= 0 || e < 0 || xml.charCodeAt(gt - 1) === 47 || xml.lastIndexOf('<', gt) !== i || !xml.startsWith('</v>', e)) decline('odd value element');
        vFrom = gt + 1;
        vTo = e;
        i = e + 4;
      } else if (xml.startsWith('<f', i) && (xml.charCodeAt(i + 2) === 32 || xml.charCodeAt(i + 2) === 62 || xml.charCodeAt(i + 2) === 47)) {
        const gt = xml.indexOf('>', i);
        if (gt < 0) decline('unclosed formula');
        if (xml.charCodeAt(gt - 1) === 47) i = gt + 1;
        else {
          const e = xml.indexOf('<', gt + 1);
          if (e < 0 || !xml.startsWith('</f>', e)) decline('odd formula element');
          i = e + 4;
        }
      } else if (xml.startsWith('<is>', i)) {
        const e = xml.indexOf('</is>', i + 4);
        if (is !== undefined || e < 0) decline('odd inline string');
        is = xml.slice(i + 4, e);
        if (is.indexOf('<v') >= 0 || is.indexOf('</c>') >= 0 || is.indexOf('<!') >= 0) decline('odd inline string');
        refusePrefixes(is);
        i = e + 5;
      } else decline('unexpected element in a cell');
    }
  }
  checkFirstRef(xml, at + 2, i, rAt);
  const cell = cellValue(xml, vFrom, vTo, t, is, s, ctx);
  if (rAt < 0) place(undefined, cell);
  else {
    const col = parseRef(xml, rFrom, rTo);
    place(refRow === row ? col : decline('cell outside its row'), cell);
  }
  return i;
}

export function readSheetData(data: Buffer, ctx: SheetContext): DenseCell[][] {
  const xml = partText(data);
  const rows: DenseCell[][] = [];
  const open = xml.indexOf('<sheetData');
  if (xml.indexOf(':sheetData') >= 0 || (open >= 0 && xml.indexOf('<sheetData', open + 1) >= 0)) decline('odd sheetData');
  checkProlog(xml, open < 0 ? xml.length : open);
  if (open < 0) return rows;
  const a = newTagAttributes();
  const after = xml.charCodeAt(open + 10);
  if (after !== 62 && after !== 47 && !isAsciiSpace(after)) decline('odd sheetData tag');
  readAttributes(xml, open + 10, a);
  const close = xml.indexOf('</sheetData>', a.end);
  if (a.selfClosing) {
    if (xml.indexOf('</sheetData>') >= 0) decline('self-closed sheetData with a closing tag');
    return rows;
  }
  if (close < 0) decline('unclosed sheetData');
  const tail = xml.slice(close);
  if (tail.indexOf('hyperlink') >= 0 || tail.indexOf('legacyDrawing') >= 0) decline('hyperlinks or legacy drawing');

  let tagr = 0;
  let tagc = -1;
  const place = (col: number | undefined, cell: DenseCell | undefined): void => {
    tagc = col ?? tagc + 1;
    if (tagc > MAX_COLUMN) decline('column past XFD');
    if (!cell) return;
    // A refusal, not a decline: SheetJS would hold the same cells, and more memory for each (issue 12).
    if (ctx.cells && ctx.maxCells !== undefined && ++ctx.cells.n > ctx.maxCells) throw new ParseError('tooBig', 'more cells than the limit');
    (rows[tagr - 1] ??= [])[tagc] = cell;
  };
  let i = a.end;
  for (;;) {
    while (isAsciiSpace(xml.charCodeAt(i))) i++;
    if (i === close) return rows;
    if (!xml.startsWith('<row', i)) decline('unexpected element in sheetData');
    const c = xml.charCodeAt(i + 4);
    if (c !== 62 && c !== 47 && !isAsciiSpace(c)) decline('odd row tag');
    readAttributes(xml, i + 4, a);
    i = a.end;
    // SheetJS passes over an empty <row/>: it neither counts nor positions anything.
    if (a.selfClosing) continue;
    if (a.rAt >= 0 && plainNumber(xml, a.rFrom, a.rTo) < 1) decline('odd row number');
    tagr = a.rAt >= 0 ? plainNumber(xml, a.rFrom, a.rTo) : tagr + 1;
    tagc = -1;
    if (ctx.sheetRows < tagr) {
      // SheetJS skips it up to its next `</row>` (or `</x:row>`): the same end, and nothing hidden in it.
      const end = xml.indexOf('</row>', i);
      if (end < 0 || end > close) decline('unclosed row');
      const skipped = xml.slice(i, end);
      if (skipped.indexOf(':row') >= 0 || skipped.indexOf('<!') >= 0) decline('odd skipped row');
      i = end + 6;
      continue;
    }
    for (;;) {
      while (isAsciiSpace(xml.charCodeAt(i))) i++;
      if (xml.startsWith('</row>', i)) {
        i += 6;
        break;
      }
      if (!xml.startsWith('<c', i)) decline('unexpected element in a row');
      i = readCell(xml, i, a, ctx, tagr, place);
    }
    if (i > close) decline('row past sheetData');
  }
}
