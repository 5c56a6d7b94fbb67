import { classifyHeader } from './headers.js';

/**
 * Rebuilds table rows from where the text sits on a PDF page: items on one
 * baseline (within a tolerance) form a line; the header line's cells give the
 * column positions; every later item goes to the column whose header span it
 * overlaps or lies nearest to. Pure geometry, no PDF library in here.
 */
export interface PositionedText {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PdfColumn {
  x0: number;
  x1: number;
}

interface Line {
  y: number;
  items: PositionedText[];
}

function median(values: number[]): number {
  if (!values.length) return 10;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function groupLines(items: PositionedText[]): Line[] {
  const visible = items.filter((i) => i.str.trim() !== '' && Number.isFinite(i.x) && Number.isFinite(i.y));
  const h = median(visible.map((i) => i.height).filter((v) => v > 0));
  const tolerance = Math.max(1, h * 0.4);
  // PDF y grows upwards: top of the page first.
  visible.sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Line[] = [];
  for (const item of visible) {
    const last = lines[lines.length - 1];
    if (last && Math.abs(last.y - item.y) <= tolerance) last.items.push(item);
    else lines.push({ y: item.y, items: [item] });
  }
  for (const l of lines) l.items.sort((a, b) => a.x - b.x);
  return lines;
}

function fontSize(item: PositionedText): number {
  return item.height > 0 ? item.height : 10;
}

/** Items that touch (runs of one cell in different fonts) joined; a wider gap starts a new cell. */
export function segments(line: Line): Array<{ text: string; x0: number; x1: number }> {
  const out: Array<{ text: string; x0: number; x1: number }> = [];
  for (const it of line.items) {
    const last = out[out.length - 1];
    const gap = last ? it.x - last.x1 : Infinity;
    if (last && gap <= fontSize(it) * 0.3) {
      last.text += (gap > fontSize(it) * 0.15 ? ' ' : '') + it.str;
      last.x1 = Math.max(last.x1, it.x + it.width);
    } else out.push({ text: it.str, x0: it.x, x1: it.x + it.width });
  }
  return out.map((s) => ({ ...s, text: s.text.trim() }));
}

function headerScore(cells: Array<{ text: string }>): number {
  let recognised = 0;
  let numbers = 0;
  for (const c of cells) {
    const h = classifyHeader(c.text);
    if (!h) continue;
    recognised++;
    if (h.role === 'number') numbers++;
  }
  return numbers ? recognised : 0;
}

function nearestColumn(columns: PdfColumn[], x0: number, x1: number): number {
  let best = 0;
  let bestDistance = Infinity;
  let bestOverlap = -1;
  columns.forEach((c, k) => {
    const overlap = Math.min(x1, c.x1) - Math.max(x0, c.x0);
    const distance = overlap > 0 ? 0 : Math.max(c.x0 - x1, x0 - c.x1);
    if (distance < bestDistance || (distance === 0 && overlap > bestOverlap)) {
      best = k;
      bestDistance = distance;
      bestOverlap = overlap;
    }
  });
  return best;
}

function assign(line: Line, columns: PdfColumn[]): string[] {
  const parts: PositionedText[][] = columns.map(() => []);
  for (const it of line.items) parts[nearestColumn(columns, it.x, it.x + it.width)]!.push(it);
  return parts.map((items) => {
    let text = '';
    let end = -Infinity;
    for (const it of items) {
      if (text && it.x - end > fontSize(it) * 0.15 && !text.endsWith(' ') && !it.str.startsWith(' ')) text += ' ';
      text += it.str;
      end = it.x + it.width;
    }
    return text.trim();
  });
}

export interface PageRows {
  rows: string[][];
  /** The columns in force after this page (carried to the next page when it repeats no header). */
  columns: PdfColumn[] | undefined;
}

/**
 * One page's lines as rows. Lines above the page's header are page titles:
 * kept as single cells on the first page, dropped on later pages (they repeat).
 */
export function pageRows(items: PositionedText[], carried: PdfColumn[] | undefined, firstPage: boolean): PageRows {
  const lines = groupLines(items);
  const segs = lines.map(segments);
  let headerIndex = -1;
  let best = 0;
  segs.forEach((cells, i) => {
    const s = headerScore(cells);
    if (s > best) {
      best = s;
      headerIndex = i;
    }
  });
  let columns = carried;
  const rows: string[][] = [];
  lines.forEach((line, i) => {
    if (i === headerIndex) {
      columns = segs[i]!.map((s) => ({ x0: s.x0, x1: s.x1 }));
      rows.push(segs[i]!.map((s) => s.text));
      return;
    }
    if (headerIndex > i && !firstPage) {
      rows.push([]);
      return;
    }
    if (!columns || (headerIndex > i && firstPage)) {
      rows.push(segs[i]!.map((s) => s.text));
      return;
    }
    rows.push(assign(line, columns));
  });
  return { rows, columns };
}
