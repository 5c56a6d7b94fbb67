import { checkMyNumberCell, looksNumeric } from '../../mynumber/cell.js';
import { maskNumber } from '../../mynumber/mask.js';
import { cellText, furiganaOf, nameOf, squash } from './cell-text.js';
import { dateCell } from './dates.js';
import { Collector } from './collector.js';
import { settleDuplicates } from './duplicates.js';
import { relationFromLabel } from './headers.js';
import { cellsOf, findHeaderRow, hasCells, headerText, isHeaderLike, readLayout, type ColumnGroup, type SheetLayout } from './layout.js';
import { columnLetter } from './letters.js';
import type {
  AmbiguousColumns,
  ColumnChoice,
  ColumnRef,
  ExtractedPerson,
  ParseWarning,
  Relation,
  ReviewRow,
  SheetGrid,
  SheetReport,
} from './types.js';

/**
 * Pure extraction on text rows: finds the My Number columns by their
 * headers, pairs each with the name / furigana / 続柄 columns of the same
 * person and the row's employee code, and sorts every row into a person or a
 * review entry with its reason. Numbers are read only from My Number columns
 * (by header or by staff choice) — never from wherever 12 digits appear.
 */
export interface ExtractionResult {
  sheets: SheetReport[];
  persons: ExtractedPerson[];
  review: ReviewRow[];
  ambiguousColumns: AmbiguousColumns[];
  warnings: ParseWarning[];
}

export interface ExtractOptions {
  columnChoices?: ColumnChoice[];
}

// Rows that close a table rather than name a person.
const FOOTER = /^(※|\*|注[:：）)]|備考|合計|小計|総計|計$|以上$|total)/i;

/** Columns whose cells mostly hold 12-digit-looking values: candidates to offer when no header says 個人番号. */
function contentCandidates(sheet: SheetGrid): number[] {
  const counts = new Map<number, { numeric: number; filled: number }>();
  let scanned = 0;
  for (let r = 0; r < sheet.rows.length && scanned < 500; r++) {
    const row = sheet.rows[r];
    if (!row) continue;
    scanned++;
    for (const [c, v] of cellsOf(row)) {
      const e = counts.get(c) ?? { numeric: 0, filled: 0 };
      e.filled++;
      const raw = sheet.numeric?.[r]?.[c];
      const digits = raw !== undefined ? String(raw) : v.normalize('NFKC').replace(/[\s\-‐－ー−]/g, '');
      if (/^\d{11,12}$/.test(digits)) e.numeric++;
      counts.set(c, e);
    }
  }
  return [...counts.entries()].filter(([, e]) => e.numeric >= 2 && e.numeric * 2 >= e.filled).map(([c]) => c);
}

function ref(sheet: SheetGrid, layout: SheetLayout | undefined, column: number): ColumnRef {
  return { sheet: sheet.name, column, letter: columnLetter(column), header: layout ? headerText(layout, column) : '' };
}

/** Decide the one number column of each group: header, content, or the staff's choice. */
function resolveGroups(sheet: SheetGrid, layout: SheetLayout, choices: ColumnChoice[], out: Collector): ColumnGroup[] {
  const ready: ColumnGroup[] = [];
  const chosen = new Set(choices.map((c) => c.column));
  for (const g of layout.groups) {
    if (g.numbers.length === 0) continue;
    const picked = g.numbers.filter((c) => chosen.has(c));
    if (picked.length >= 1) {
      ready.push({ ...g, numbers: [picked[0]!] });
      continue;
    }
    let numbers = g.numbers;
    if (numbers.length > 1) {
      // A column with no digits at all (「個人番号（確認用）」 left blank) is not the one.
      const withData = numbers.filter((c) => {
        for (let r = layout.headerRow + 1; r < sheet.rows.length; r++) {
          if (looksNumeric(cellText(sheet, r, c)) || sheet.numeric?.[r]?.[c] !== undefined) return true;
        }
        return false;
      });
      if (withData.length >= 1) numbers = withData;
    }
    if (numbers.length > 1) {
      out.ambiguous.push({ sheet: sheet.name, relation: g.relation, candidates: numbers.map((c) => ref(sheet, layout, c)) });
      continue;
    }
    ready.push({ ...g, numbers });
  }
  // A chosen column no header announced is read as the employee's own number.
  for (const choice of choices) {
    if (layout.groups.some((g) => g.numbers.includes(choice.column))) continue;
    const self = layout.groups.find((g) => g.relation.kind === 'self') ?? { key: 'self', relation: { kind: 'self' as const }, numbers: [] };
    const i = ready.findIndex((g) => g.key === 'self');
    if (i >= 0) ready.splice(i, 1);
    const g: ColumnGroup = { ...self, numbers: [choice.column] };
    if (choice.nameColumn !== undefined) {
      g.name = choice.nameColumn;
      g.sei = g.mei = undefined;
    }
    ready.push(g);
    for (let k = out.ambiguous.length - 1; k >= 0; k--) {
      const a = out.ambiguous[k]!;
      if (a.sheet === sheet.name && a.relation.kind === 'self') out.ambiguous.splice(k, 1);
    }
  }
  return ready;
}

/** Each group's number column with its header text, trimmed once per sheet. */
function numberHeaders(layout: SheetLayout, groups: ColumnGroup[]): Array<[number, string]> {
  return groups.map((g) => [g.numbers[0]!, (layout.headers.get(g.numbers[0]!) ?? '').trim()]);
}

/** A header row again (each PDF page, a pasted second table): its number cell says 個人番号 again. */
function repeatsHeader(row: string[] | undefined, headers: Array<[number, string]>): boolean {
  for (const [c, header] of headers) {
    const text = row?.[c];
    if (text && text.trim() === header) return isHeaderLike(row);
  }
  return false;
}

function rowLabel(sheet: SheetGrid, r: number): { row: number; page?: number } {
  const row = sheet.rowLabels?.[r] ?? r + 1;
  const page = sheet.pages?.[r];
  return page === undefined ? { row } : { row, page };
}

function extractRows(sheet: SheetGrid, layout: SheetLayout, groups: ColumnGroup[], out: Collector): void {
  const self = layout.groups.find((g) => g.relation.kind === 'self');
  const dependentsPerEmployee = new Map<string, number>();
  const employeeByKey = new Map<string, string>();
  const letters: string[] = [];
  const headers = numberHeaders(layout, groups);
  let lastSelfKey = '';
  for (let r = layout.headerRow + 1; r < sheet.rows.length; r++) {
    const row = sheet.rows[r];
    if (!hasCells(row)) continue;
    if (repeatsHeader(row, headers)) continue;
    const employeeCode = squash(cellText(sheet, r, layout.code)) || undefined;
    const employeeName = self ? nameOf(sheet, r, self) : '';
    for (const g of groups) {
      const col = g.numbers[0]!;
      const name = nameOf(sheet, r, g);
      const text = cellText(sheet, r, col);
      const raw = sheet.numeric?.[r]?.[col];
      const hasValue = raw !== undefined || text.trim() !== '';
      if (!name && !hasValue) continue;
      if (!hasValue && FOOTER.test(name)) continue;
      if (!name && raw === undefined && !looksNumeric(text)) continue; // a note or page number, not a person

      let relation: Relation = g.relation;
      let ownerName = employeeName;
      const relationLabel = squash(cellText(sheet, r, g.relationLabel)) || undefined;
      if (g.relation.kind === 'self' && relationLabel) {
        // One person per row with a 続柄 column: 本人 / 妻 / 長男 …
        const kind = relationFromLabel(relationLabel);
        if (kind === 'self' || kind === null) {
          lastSelfKey = employeeCode ?? `row:${r}`;
          employeeByKey.set(lastSelfKey, name);
        }
        const owner = employeeCode ?? lastSelfKey;
        ownerName = employeeByKey.get(owner) ?? '';
        if (kind === 'spouse') relation = { kind: 'spouse' };
        if (kind === 'dependent') {
          const n = (dependentsPerEmployee.get(owner) ?? 0) + 1;
          dependentsPerEmployee.set(owner, n);
          relation = { kind: 'dependent', index: n };
        }
      }
      const furigana = furiganaOf(sheet, r, g) || undefined;
      // Built property by property, in the order the types list them (spreads of optional parts cost more than the rest of the row).
      const entry: Record<string, unknown> = { sheet: sheet.name, row: sheet.rowLabels?.[r] ?? r + 1 };
      const page = sheet.pages?.[r];
      if (page !== undefined) entry.page = page;
      entry.column = letters[col] ??= columnLetter(col);
      if (furigana) entry.furigana = furigana;
      if (employeeCode) entry.employeeCode = employeeCode;
      entry.relation = relation;
      if (relationLabel) entry.relationLabel = relationLabel;
      if (relation.kind === 'self' && layout.leftOn !== undefined) {
        const leftOn = dateCell(cellText(sheet, r, layout.leftOn), sheet.numeric?.[r]?.[layout.leftOn]);
        if (leftOn) entry.leftOn = leftOn;
      }
      const check = checkMyNumberCell(text, raw);
      if (!name) {
        entry.reason = 'no-name';
        entry.masked = check.ok ? maskNumber(check.number) : check.masked;
        out.review.push(entry as unknown as ReviewRow);
        continue;
      }
      entry.name = name;
      if (check.ok) {
        if (relation.kind !== 'self' && ownerName && ownerName !== name) entry.employeeName = ownerName;
        entry.number = check.number;
        out.persons.push(entry as unknown as ExtractedPerson);
      } else {
        entry.reason = check.reason;
        entry.masked = check.masked;
        if (check.proposedNumber) entry.proposedNumber = check.proposedNumber;
        out.review.push(entry as unknown as ReviewRow);
      }
    }
  }
}

export function extract(sheets: SheetGrid[], opts: ExtractOptions = {}): ExtractionResult {
  const out = new Collector();
  for (const sheet of sheets) {
    const choices = (opts.columnChoices ?? []).filter((c) => c.sheet === sheet.name);
    const headerRow = findHeaderRow(sheet);
    if (headerRow === undefined) {
      const empty = !Object.keys(sheet.rows).length;
      if (!empty && choices.length) {
        // Staff named the column of a sheet without a recognisable header: read from the first row.
        const layout: SheetLayout = { headerRow: -1, headers: new Map(), groups: [] };
        const groups = resolveGroups(sheet, layout, choices, out);
        extractRows(sheet, layout, groups, out);
        out.sheets.push({ sheet: sheet.name, numberColumns: groups.map((g) => ({ ...ref(sheet, layout, g.numbers[0]!), relation: g.relation })) });
        continue;
      }
      const candidates = empty ? [] : contentCandidates(sheet);
      if (candidates.length) {
        out.ambiguous.push({ sheet: sheet.name, relation: { kind: 'self' }, candidates: candidates.map((c) => ref(sheet, undefined, c)) });
        out.sheets.push({ sheet: sheet.name, numberColumns: [], skipped: 'ambiguous' });
      } else out.sheets.push({ sheet: sheet.name, numberColumns: [], skipped: empty ? 'empty' : 'no-my-number-column' });
      continue;
    }
    const layout = readLayout(sheet, headerRow);
    const before = out.ambiguous.length;
    const groups = resolveGroups(sheet, layout, choices, out);
    extractRows(sheet, layout, groups, out);
    out.sheets.push({
      sheet: sheet.name,
      headerRow: rowLabel(sheet, headerRow).row,
      numberColumns: groups.map((g) => ({ ...ref(sheet, layout, g.numbers[0]!), relation: g.relation })),
      ...(groups.length === 0 && out.ambiguous.length > before ? { skipped: 'ambiguous' as const } : {}),
    });
  }
  settleDuplicates(out);
  return {
    sheets: out.sheets,
    persons: out.persons,
    review: out.review,
    ambiguousColumns: out.ambiguous,
    warnings: [...out.warnings.entries()].map(([key, count]) => ({ key, count })),
  };
}

