import type { PayRow, PersonFlags } from '../rows.js';
import { readMunicipalityCode } from './municipality-code.js';
import type { CompanyOptions, RuleSet } from './rules.js';
import { isLeaver } from './tax-office.js';

/**
 * The 給与支払報告書 destination (year-end.md §1, §5): the 市区町村 of the
 * 1月1日 address, or for a leaver the address at 退職時 — which is what the
 * payroll program puts in col 139 in both cases, so col 139 is the route and
 * is grouped by code, never by name (府中市 is two cities).
 */
export type MunicipalOutcome =
  | { status: 'included'; code: string; written: string; reason: string; params: Record<string, string | number> }
  | { status: 'excluded' | 'undecided'; reason: string; params: Record<string, string | number> };

export function decideMunicipal(row: PayRow, flags: PersonFlags, rules: RuleSet, opts: CompanyOptions): MunicipalOutcome {
  const limit = rules.municipal.leaverOmitMax;
  const small = isLeaver(row) && row.pay <= limit;
  if (small && opts.omitSmallLeavers) return { status: 'excluded', reason: 'leaverSmallOmitted', params: { limit } };
  if (row.municipalityCode === '') return { status: 'undecided', reason: 'codeMissing', params: {} };
  const code = readMunicipalityCode(row.municipalityCode);
  if (!code.ok) return { status: 'undecided', reason: code.reason === 'format' ? 'codeFormat' : 'codeCheckDigit', params: {} };
  const jan1 = flags.residenceJan1Code ? readMunicipalityCode(flags.residenceJan1Code) : undefined;
  // A leaver's route is the 退職時 address even if they have moved since (§1).
  if (!isLeaver(row) && jan1?.ok && jan1.key !== code.key) {
    return { status: 'undecided', reason: 'codeDiffersFromJan1', params: { code: code.key, jan1: jan1.key } };
  }
  const reason = small ? 'leaverSmallIncluded' : isLeaver(row) ? 'leaverAtRetirement' : code.wardOf ? 'wardRolledUp' : 'byCode';
  return { status: 'included', code: code.key, written: code.written, reason, params: { code: code.key, city: code.wardOf ?? '', limit } };
}
