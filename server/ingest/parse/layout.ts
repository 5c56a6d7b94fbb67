import { classifyHeader, groupLabel, type HeaderInfo, type HeaderRole } from './headers.js';
import type { Relation, SheetGrid } from './types.js';

/**
 * Where the table is on a sheet: the header row (below any title rows) and
 * the column groups it announces — the employee's own columns, the spouse's,
 * each dependent's — each with its My Number column(s) and the name,
 * furigana and 続柄 columns that belong to the same person.
 */
export interface ColumnGroup {
  key: string;
  relation: Relation;
  numbers: number[];
  name?: number;
  nameNorm?: string;
  sei?: number;
  mei?: number;
  furigana?: number;
  seiKana?: number;
  meiKana?: number;
  relationLabel?: number;
}

export interface SheetLayout {
  headerRow: number;
  headers: Map<number, string>;
  groups: ColumnGroup[];
  code?: number;
  /** The employee's 退職日 column, when the roster has one. */
  leftOn?: number;
}

const HEADER_SCAN_ROWS = 60;

/** True when a (sparse) row has any non-blank cell. */
export function hasCells(row: string[] | undefined): boolean {
  return !!row && row.some((v) => typeof v === 'string' && v.trim() !== '');
}

/** Cells of a sparse row in column order, non-empty only. */
export function cellsOf(row: string[] | undefined): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  if (!row) return out;
  row.forEach((v, c) => {
    if (typeof v === 'string' && v.trim() !== '') out.push([c, v]);
  });
  return out;
}

interface HeaderCell {
  col: number;
  text: string;
  info: HeaderInfo | null;
  /** Group label from the row above (「配偶者」 over merged cells), filled rightwards. */
  label?: { relation: HeaderInfo['relation']; index?: number };
}

/**
 * The header as a person reads it when it takes two rows: group labels above
 * (配偶者 | 扶養親族1 spanning their columns) and, where a column is merged
 * vertically (社員番号 over both rows), the text of the row above.
 */
function headerCells(sheet: SheetGrid, r: number): HeaderCell[] {
  const own = cellsOf(sheet.rows[r]);
  const above = r > 0 ? cellsOf(sheet.rows[r - 1]) : [];
  const labels = above.map(([c, v]) => [c, groupLabel(v)] as const);
  const hasLabels = labels.some(([, l]) => l);
  const out: HeaderCell[] = [];
  const ownCols = new Set(own.map(([c]) => c));
  let li = 0;
  let current: HeaderCell['label'] | null = null;
  const cols = [...new Set([...own.map(([c]) => c), ...(hasLabels ? above.map(([c]) => c) : [])])].sort((a, b) => a - b);
  const ownText = new Map(own);
  const aboveText = new Map(above);
  for (const c of cols) {
    while (li < labels.length && labels[li]![0] <= c) current = labels[li++]![1];
    if (ownCols.has(c)) {
      const text = ownText.get(c)!;
      const info = classifyHeader(text);
      out.push(current && hasLabels ? { col: c, text, info, label: current } : { col: c, text, info });
    } else {
      const text = aboveText.get(c)!;
      const info = classifyHeader(text);
      if (info && !groupLabel(text)) out.push({ col: c, text, info });
    }
  }
  return out;
}

function scoreCells(cells: Array<{ info: HeaderInfo | null }>): { score: number; numbers: number } {
  let recognised = 0;
  let numbers = 0;
  let names = 0;
  for (const { info: h } of cells) {
    if (!h) continue;
    recognised++;
    if (h.role === 'number') numbers++;
    if (h.role === 'name' || h.role === 'sei') names++;
  }
  return { score: recognised + (names ? 2 : 0), numbers };
}

/** The row that best reads as a header holding a My Number column, within the first rows. */
export function findHeaderRow(sheet: SheetGrid): number | undefined {
  let best: { row: number; score: number } | undefined;
  let seen = 0;
  for (let r = 0; r < sheet.rows.length; r++) {
    if (!hasCells(sheet.rows[r])) continue;
    if (++seen > HEADER_SCAN_ROWS) break;
    const s = scoreCells(headerCells(sheet, r));
    if (s.numbers > 0 && (!best || s.score > best.score)) best = { row: r, score: s.score };
  }
  return best?.row;
}

/** True when a data row repeats the header (PDF pages, pasted tables). */
export function isHeaderLike(row: string[] | undefined): boolean {
  const s = scoreCells(cellsOf(row).map(([, v]) => ({ info: classifyHeader(v) })));
  return s.numbers > 0 && s.score >= 2;
}

function relationOfGroup(kind: HeaderInfo['relation'], index: number | undefined): Relation {
  if (kind === 'spouse') return { kind: 'spouse' };
  if (kind === 'dependent') return { kind: 'dependent', index: index ?? 1 };
  return { kind: 'self' };
}

export function readLayout(sheet: SheetGrid, headerRow: number): SheetLayout {
  const groups = new Map<string, ColumnGroup>();
  const headers = new Map<number, string>();
  let code: number | undefined;
  let leftOn: number | undefined;
  // Dependents' groups that name no index (扶養親族氏名, 扶養親族個人番号, 扶養親族氏名 …) are counted in order.
  let autoIndex = 0;
  let autoRoles = new Set<HeaderRole>();
  let highestIndex = 0;

  for (const { col: c, text, info, label } of headerCells(sheet, headerRow)) {
    headers.set(c, text);
    if (!info) continue;
    if (info.role === 'code') {
      code ??= c;
      continue;
    }
    if (info.role === 'leftOn') {
      leftOn ??= c;
      continue;
    }
    let relation = info.relation;
    let index = info.index;
    if (!info.explicitRelation && label) {
      relation = label.relation;
      index = label.index;
    }
    if (relation === 'dependent') {
      if (index === undefined) {
        if (autoIndex === 0 || autoRoles.has(info.role)) {
          autoIndex = Math.max(autoIndex, highestIndex) + 1;
          autoRoles = new Set();
        }
        autoRoles.add(info.role);
        index = autoIndex;
      }
      highestIndex = Math.max(highestIndex, index);
    }
    const key = relation === 'dependent' ? `dependent:${index}` : relation;
    let g = groups.get(key);
    if (!g) {
      g = { key, relation: relationOfGroup(relation, index), numbers: [] };
      groups.set(key, g);
    }
    switch (info.role) {
      case 'number':
        g.numbers.push(c);
        break;
      case 'name':
        // Two name columns (氏名 and 氏名（ローマ字）): the plainer header wins.
        if (g.name === undefined || (g.nameNorm !== undefined && info.norm.length < g.nameNorm.length)) {
          g.name = c;
          g.nameNorm = info.norm;
        }
        break;
      default:
        if (g[info.role] === undefined) g[info.role] = c;
    }
  }
  for (const g of groups.values()) {
    // 「従業員名」「配偶者名」 alone name the whole name, not the given name of a 姓 / 名 pair.
    if (g.mei !== undefined && g.sei === undefined && g.name === undefined) {
      g.name = g.mei;
      g.mei = undefined;
    }
  }
  return { headerRow, headers, groups: [...groups.values()], code, leftOn };
}

export function headerText(layout: SheetLayout, column: number): string {
  const raw = layout.headers.get(column) ?? '';
  const flat = raw.replace(/\s+/g, ' ').trim();
  return flat.length > 40 ? `${flat.slice(0, 39)}…` : flat;
}

