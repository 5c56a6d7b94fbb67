import type { PayRow, PersonFlags } from '../rows.js';
import type { TaxOfficeThresholds } from './rules.js';

/**
 * Whether a row is over the 税務署's 提出範囲 (year-end.md §2). The flags the
 * CSV lacks may be missing: then every combination of the missing ones is
 * tried, and the row is decided only if all give the same answer (a 役員 flag
 * does not matter for someone paid 400,000 or 30,000,000). Otherwise it is
 * undecided and the missing flags are named — never guessed.
 */
export type TaxOutcome =
  | { status: 'included' | 'excluded'; reason: string; params: Record<string, string | number> }
  | { status: 'undecided'; reason: string; params: Record<string, string | number>; missing: FlagName[] };

export type FlagName = 'officer' | 'professional' | 'yearEndAdjusted' | 'hei';
const FLAGS: readonly FlagName[] = ['yearEndAdjusted', 'officer', 'professional', 'hei'];
type Known = Record<FlagName, boolean>;

export function isLeaver(row: PayRow): boolean {
  return row.midYear.kind === 'left' || row.deathRetirement;
}

function over(pay: number, limit: number, reason: string): TaxOutcome {
  // 「超える」: strictly more than the limit.
  return { status: pay > limit ? 'included' : 'excluded', reason, params: { limit } };
}

function decideKnown(row: PayRow, f: Known, t: TaxOfficeThresholds): TaxOutcome {
  if (f.yearEndAdjusted) {
    if (f.officer) return over(row.pay, t.adjusted.officer, 'adjustedOfficer');
    if (f.professional) return over(row.pay, t.adjusted.professional, 'adjustedProfessional');
    return over(row.pay, t.adjusted.other, 'adjustedOther');
  }
  if (row.otsu || f.hei) return over(row.pay, t.otsuHei, 'otsuHei');
  if (row.pay > t.alwaysOver) return { status: 'included', reason: 'over20m', params: { limit: t.alwaysOver } };
  if (isLeaver(row) || row.disaster || row.disasterDeferredTax > 0) {
    return f.officer ? over(row.pay, t.leaverOrDisaster.officer, 'notAdjustedOfficer') : over(row.pay, t.leaverOrDisaster.other, 'notAdjustedOther');
  }
  // 甲欄, not adjusted, not a leaver, no 災害, not over 2,000万: no rule fits.
  return { status: 'undecided', reason: 'notAdjustedNoReason', params: {}, missing: [] };
}

function combos(missing: readonly FlagName[], given: PersonFlags): Known[] {
  let out: Known[] = [{ officer: false, professional: false, yearEndAdjusted: false, hei: false, ...known(given) }];
  for (const name of missing) out = out.flatMap((k) => [{ ...k, [name]: false }, { ...k, [name]: true }]);
  return out;
}

function known(f: PersonFlags): Partial<Known> {
  return Object.fromEntries(FLAGS.filter((n) => f[n] !== undefined).map((n) => [n, f[n]])) as Partial<Known>;
}

export function decideTaxOffice(row: PayRow, flags: PersonFlags, t: TaxOfficeThresholds): TaxOutcome {
  const missing = FLAGS.filter((n) => flags[n] === undefined);
  const outcomes = combos(missing, flags).map((k) => decideKnown(row, k, t));
  const first = outcomes[0] as TaxOutcome;
  if (missing.length === 0) return first;
  const statuses = new Set(outcomes.map((o) => o.status));
  if (statuses.size === 1 && first.status !== 'undecided') {
    return { status: first.status, reason: 'sameWhateverFlags', params: { flags: missing.join(',') } };
  }
  // Name only the flags whose value changes the answer (丙欄 rarely does).
  const all = combos(missing, flags);
  const matters = missing.filter((n) => all.some((k) => decideKnown(row, k, t).status !== decideKnown(row, { ...k, [n]: !k[n] }, t).status));
  const named = matters.length ? matters : missing;
  return { status: 'undecided', reason: 'flagsMissing', params: { flags: named.join(',') }, missing: named };
}
