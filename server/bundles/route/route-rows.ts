import { problem, type Problem } from '../problems.js';
import type { PayRow, PersonFlags } from '../rows.js';
import { decideMunicipal, type MunicipalOutcome } from './municipal.js';
import { DEFAULT_COMPANY_OPTIONS, rulesFor, type CompanyOptions, type RuleSet } from './rules.js';
import { decideTaxOffice, type TaxOutcome } from './tax-office.js';

/**
 * Each row's destinations with the reason for each (the staff preview shows
 * them: who goes where and why). 作成区分 (last column) follows from the two
 * numbered destinations: 0 税務署のみ, 1 市区町村のみ, 2 両方 (UNVERIFIED codes).
 * A row in neither numbered file gets no 作成区分; 本人交付 is everyone's.
 */
export type SakuseiKubun = '0' | '1' | '2';

export interface RowRouting {
  readonly row: PayRow;
  readonly taxOffice: TaxOutcome;
  readonly municipal: MunicipalOutcome;
  readonly selfCopy: true;
  readonly sakuseiKubun?: SakuseiKubun;
  readonly problems: Problem[];
}

function kubun(tax: boolean, muni: boolean): SakuseiKubun | undefined {
  if (tax && muni) return '2';
  if (tax) return '0';
  return muni ? '1' : undefined;
}

function sameAsMunicipal(m: MunicipalOutcome): TaxOutcome {
  if (m.status === 'undecided') return { status: 'undecided', reason: 'followsMunicipal', params: {}, missing: [] };
  return { status: m.status, reason: 'sameAsMunicipal', params: {} };
}

export function routeRow(row: PayRow, flags: PersonFlags, rules: RuleSet, opts: CompanyOptions = DEFAULT_COMPANY_OPTIONS): RowRouting {
  const municipal = decideMunicipal(row, flags, rules, opts);
  const taxOffice = rules.taxOffice.kind === 'thresholds' ? decideTaxOffice(row, flags, rules.taxOffice) : sameAsMunicipal(municipal);
  const problems: Problem[] = [];
  const where = { line: row.line };
  if (taxOffice.status === 'undecided') problems.push(problem(`route.tax.${taxOffice.reason}`, 'review', where, taxOffice.params));
  if (municipal.status === 'undecided') {
    const severity = municipal.reason === 'codeDiffersFromJan1' ? 'review' : 'error';
    problems.push(problem(`route.municipal.${municipal.reason}`, severity, { ...where, col: 139 }, municipal.params));
  }
  if (row.pay === 0) problems.push(problem('route.zeroPay', 'review', where));
  const decided = taxOffice.status !== 'undecided' && municipal.status !== 'undecided';
  const k = decided ? kubun(taxOffice.status === 'included', municipal.status === 'included') : undefined;
  return { row, taxOffice, municipal, selfCopy: true, ...(k ? { sakuseiKubun: k } : {}), problems };
}

export interface RoutingPlan {
  readonly nenbun: number;
  /** Problems first: rows with any problem, then the rest, each in file order. */
  readonly rows: RowRouting[];
  readonly taxOfficeCount: number;
  /** Per 団体コード (5 digits): the rows and the 総括表 counts. */
  readonly municipalities: ReadonlyMap<string, { rows: RowRouting[]; special: number; ordinary: number }>;
  readonly selfCopyCount: number;
  readonly problemCount: number;
}

export function planRouting(
  rows: readonly PayRow[],
  flagsOf: (row: PayRow) => PersonFlags,
  nenbun: number,
  opts: CompanyOptions = DEFAULT_COMPANY_OPTIONS,
): RoutingPlan {
  const rules = rulesFor(nenbun);
  if (!rules) throw new Error(`no routing rules for 令和${nenbun}年分`);
  const routed = rows.map((r) => routeRow(r, flagsOf(r), rules, opts));
  const municipalities = new Map<string, { rows: RowRouting[]; special: number; ordinary: number }>();
  for (const r of routed) {
    if (r.municipal.status !== 'included' || !r.sakuseiKubun) continue;
    const g = municipalities.get(r.municipal.code) ?? { rows: [], special: 0, ordinary: 0 };
    g.rows.push(r);
    if (r.row.futsu) g.ordinary++;
    else g.special++;
    municipalities.set(r.municipal.code, g);
  }
  const withProblems = routed.filter((r) => r.problems.length > 0);
  return {
    nenbun,
    rows: [...withProblems, ...routed.filter((r) => r.problems.length === 0)],
    taxOfficeCount: routed.filter((r) => r.taxOffice.status === 'included' && r.sakuseiKubun).length,
    municipalities,
    selfCopyCount: routed.length,
    problemCount: withProblems.reduce((n, r) => n + r.problems.length, 0),
  };
}
