import { cellProblem } from '../cell-problems.js';
import { checkCell } from '../layout/check-cell.js';
import { COL, FAMILY, FAMILY_OFFSET } from '../layout/fields.js';
import type { Layout } from '../layout/types.js';
import { problem, type Problem } from '../problems.js';
import type { FamilyMember, MidYear, PayRow } from '../rows.js';

/**
 * Cells laid out per the year's layout → a PayRow. Every cell is checked
 * against its column (so staff see source problems before anything is
 * sealed); a filled ★ cell is reported by position only and blanked, so the
 * number goes no further than this function (the later step re-reads it with
 * read/carried-numbers.ts to check it against the vault).
 */
export function toPayRow(cells: readonly string[], line: number, layout: Layout): { row?: PayRow; problems: Problem[] } {
  const problems: Problem[] = [];
  const clean = [...cells];
  for (const spec of layout.columns) {
    const value = clean[spec.col - 1] ?? '';
    if (spec.numberBearing) {
      if (value.trim() !== '') problems.push(problem('numberPresent', 'review', { line, col: spec.col }, { col: spec.col, column: spec.name }));
      clean[spec.col - 1] = '';
      continue;
    }
    for (const f of checkCell(spec, value)) problems.push(cellProblem(f, spec, line));
  }
  const at = (col: number) => clean[col - 1] ?? '';
  const pay = at(COL.pay);
  if (pay === '') problems.push(problem('payMissing', 'error', { line, col: COL.pay }, { col: COL.pay }));
  if (problems.some((p) => p.severity === 'error')) return { problems };
  const row: PayRow = {
    line,
    nenbun: layout.nenbun,
    cells: clean,
    employeeCode: at(COL.employeeCode),
    name: at(COL.name),
    furigana: at(COL.furigana),
    title: at(COL.title),
    address: at(COL.address),
    ...(at(COL.birthEra) ? { birth: { era: at(COL.birthEra), year: at(COL.birthYear), month: at(COL.birthMonth), day: at(COL.birthDay) } } : {}),
    pay: Number(pay),
    otsu: at(COL.otsu) === '1',
    midYear: { kind: midYear(at(COL.midYearKind)), year: at(COL.midYearYear), month: at(COL.midYearMonth), day: at(COL.midYearDay) },
    deathRetirement: at(COL.deathRetirement) === '1',
    disaster: at(COL.disaster) === '1',
    disasterDeferredTax: Number(at(COL.disasterDeferredTax) || '0'),
    futsu: at(COL.futsu) === '1',
    municipalityCode: at(COL.municipality),
    designatedNumber: at(COL.designatedNumber),
    ...spouseOf(at),
    dependents: members(FAMILY.dependents, at),
    under16: members(FAMILY.under16, at),
  };
  return { row, problems };
}

// UNVERIFIED (year-end.md §4.2 col 60): 1 = 中途就職, 2 = 中途退職.
function midYear(code: string): MidYear {
  return code === '1' ? 'joined' : code === '2' ? 'left' : 'none';
}

function member(first: number, at: (col: number) => string): FamilyMember | undefined {
  const m = { furigana: at(first + FAMILY_OFFSET.furigana), name: at(first + FAMILY_OFFSET.name), kubun: at(first + FAMILY_OFFSET.kubun) };
  return m.name || m.furigana ? m : undefined;
}

function spouseOf(at: (col: number) => string): { spouse?: FamilyMember } {
  const s = member(FAMILY.spouse, at);
  return s ? { spouse: s } : {};
}

function members(firsts: readonly number[], at: (col: number) => string): FamilyMember[] {
  return firsts.map((f) => member(f, at)).filter((m): m is FamilyMember => m !== undefined);
}
