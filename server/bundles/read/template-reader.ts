import { COL } from '../layout/fields.js';
import { columnCount, knownNenbun, layoutFor } from '../layout/layouts.js';
import { problem, type Problem } from '../problems.js';
import type { FamilyMember, PayRow, PersonFlags } from '../rows.js';
import { decodeLines, splitRecord } from './decode.js';
import { familyCol, REQUIRED_HEADERS, templateTarget, type TemplateTarget } from './template-columns.js';
import { readAmount, readDate, readYesNo } from './template-values.js';
import { toPayRow } from './typed-row.js';

/**
 * kinko's simple template (CSV here; xlsx later feeds the same cells) → the
 * same typed rows as the 統一CSV, plus the flags the 統一CSV lacks. The
 * payer block (cols 4–6) comes from the company's settings.
 */
export interface Payer { readonly address: string; readonly name: string; readonly phone: string }

export interface TemplateResult {
  readonly rows: PayRow[];
  readonly flags: ReadonlyMap<number, PersonFlags>;
  readonly problems: Problem[];
}

type Family = { spouse: Partial<FamilyMember>[]; dependents: Partial<FamilyMember>[]; under16: Partial<FamilyMember>[] };

function place(t: TemplateTarget, value: string, cells: string[], flags: Record<string, boolean>, fam: Family, line: number, header: string): Problem | undefined {
  const bad = () => problem('template.badValue', 'error', { line }, { line, header });
  if (t.kind === 'cell') {
    const v = t.amount ? readAmount(value) : t.yesNo ? yesNoCell(value) : value.trim();
    if (v === undefined) return bad();
    cells[t.col - 1] = v;
  } else if (t.kind === 'flag') {
    const v = readYesNo(value);
    if (v === undefined) return bad();
    if (v !== '') flags[t.flag] = v;
  } else if (t.kind === 'date') {
    const d = readDate(value);
    if (d === undefined) return bad();
    if (d === '') return undefined;
    const [k, y, m, dd] = t.use === 'birth' ? [COL.birthEra, COL.birthYear, COL.birthMonth, COL.birthDay] : [COL.midYearKind, COL.midYearYear, COL.midYearMonth, COL.midYearDay];
    // 中途就・退職 keeps only 年/月/日 of the 和暦 year; the kind is 1 就職 / 2 退職 (UNVERIFIED).
    cells[k - 1] = t.use === 'birth' ? d.era : t.use === 'joined' ? '1' : '2';
    [cells[y - 1], cells[m - 1], cells[dd - 1]] = [d.year, d.month, d.day];
  } else {
    const list = fam[t.group];
    list[t.index] = { ...list[t.index], [t.field]: value.trim() };
  }
  return undefined;
}

function yesNoCell(value: string): string | undefined {
  const v = readYesNo(value);
  return v === undefined ? undefined : v === '' ? '' : v ? '1' : '0';
}

function members(list: Partial<FamilyMember>[]): FamilyMember[] {
  return list.filter((m) => m && (m.name || m.furigana)).map((m) => ({ furigana: m.furigana ?? '', name: m.name ?? '', kubun: '00' }));
}

export function readTemplateCsv(bytes: Uint8Array, nenbun: number, payer: Payer): TemplateResult {
  const layout = layoutFor(nenbun);
  const fail = (p: Problem): TemplateResult => ({ rows: [], flags: new Map(), problems: [p] });
  if (!layout) return fail(problem('file.unknownNenbun', 'error', {}, { nenbun, known: knownNenbun().join('・') }));
  const decoded = decodeLines(bytes, { allowUtf8: true });
  if (!decoded.ok) return fail(decoded.problem);
  const [head, ...body] = decoded.lines;
  const headers = splitRecord(head ?? '');
  const targets = headers.map(templateTarget);
  const problems: Problem[] = [];
  headers.forEach((h, i) => {
    if (!targets[i] && h.trim() !== '') problems.push(problem('template.unknownHeader', 'review', { line: 1 }, { header: h.trim() }));
  });
  for (const need of REQUIRED_HEADERS) {
    if (!headers.some((h) => h.normalize('NFKC').trim() === need)) problems.push(problem('template.missingHeader', 'error', { line: 1 }, { header: need }));
  }
  if (problems.some((p) => p.severity === 'error')) return { rows: [], flags: new Map(), problems };
  const rows: PayRow[] = [];
  const flags = new Map<number, PersonFlags>();
  body.forEach((text, i) => {
    const line = i + 2;
    if (text.replaceAll(',', '').trim() === '') return;
    const cells = Array<string>(columnCount(layout)).fill('');
    Object.assign(cells, { [COL.kind - 1]: '315', [COL.nenbun - 1]: String(nenbun).padStart(2, '0') });
    [cells[COL.payerAddress - 1], cells[COL.payerName - 1], cells[COL.payerPhone - 1]] = [payer.address, payer.name, payer.phone];
    const f: Record<string, boolean> = {};
    const fam: Family = { spouse: [], dependents: [], under16: [] };
    splitRecord(text).forEach((value, c) => {
      const t = targets[c];
      const p = t ? place(t, value, cells, f, fam, line, headers[c]?.trim() ?? '') : undefined;
      if (p) problems.push(p);
    });
    const spouse = members(fam.spouse)[0];
    const deps = members(fam.dependents);
    const kids = members(fam.under16);
    const write = (group: 'spouse' | 'dependents' | 'under16', list: FamilyMember[]) =>
      list.forEach((m, idx) => {
        for (const field of ['name', 'furigana', 'kubun'] as const) {
          const col = field === 'kubun' ? familyCol(group, idx, 'name') : familyCol(group, idx, field);
          if (col !== undefined) cells[col - 1 + (field === 'kubun' ? 1 : 0)] = m[field];
        }
      });
    write('spouse', spouse ? [spouse] : []);
    write('dependents', deps);
    write('under16', kids);
    const r = toPayRow(cells, line, layout);
    problems.push(...r.problems);
    // The 5th and later dependents have no fixed cells; the row carries them for cols 132/133.
    if (r.row) rows.push({ ...r.row, dependents: deps, under16: kids });
    flags.set(line, f);
  });
  return { rows, flags, problems };
}
