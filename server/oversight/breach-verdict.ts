import { DEFAULT_BREACH_RULES, jstDatePlus, type BreachRules } from './deadline-rules.js';
import { EXEMPTION_LIKELY, type ExposureState } from './exposure.js';
import { addTo, emptyCounts, type Counts, type PersonEntry } from './people-tally.js';

/**
 * The triggers of 規則2条 evaluated on the counted people, each verdict with
 * the reasons a director can read and check (retention-and-breach.md §5.1–5.3).
 * Whether the 高度な暗号化 exemption reaches ②–④ is UNVERIFIED, so kinko shows
 * both counts — all people, and those not under encryption with keys apart —
 * and says "decide" where they lead to different answers.
 */
export type Reportable = 'yes' | 'decide' | 'no' | 'none';

export interface Verdict {
  reportable: Reportable;
  /** i18n keys under oversight.breach.reason, each with its values. */
  reasons: Array<{ key: string; values: Record<string, number | string> }>;
  counts: Counts;
  notExempt: number;
  unreadDrops: number;
  /** Employees' own submissions not confirmed (issue 18): people unknown until confirmed, like unread drops. */
  unconfirmedSubmissions: number;
  quickDue: string | null;
  finalDue: string | null;
  finalDays: number;
}

export interface Flags {
  fraud: boolean;
  publicView: boolean;
}

export function countPeople(entries: Iterable<PersonEntry>): Counts {
  const c = emptyCounts();
  for (const e of entries) addTo(c, e);
  return c;
}

export function notExemptOf(c: Counts): number {
  return (Object.entries(c.byState) as Array<[ExposureState, number]>).filter(([s]) => !EXEMPTION_LIKELY.has(s)).reduce((n, [, v]) => n + v, 0);
}

/** Files holding numbers of people kinko cannot count: drops not read yet, and employees' submissions not confirmed. */
export interface Unknown {
  drops: number;
  submissions: number;
}

export function verdictFor(counts: Counts, unknown: Unknown, flags: Flags, discoveredAt: Date, rules: BreachRules = DEFAULT_BREACH_RULES): Verdict {
  const { drops: unreadDrops, submissions } = unknown;
  const notExempt = notExemptOf(counts);
  const limit = rules.peopleThreshold;
  const reasons: Verdict['reasons'] = [];
  let reportable: Reportable = 'no';
  if (counts.people === 0 && unreadDrops === 0 && submissions === 0) {
    reasons.push({ key: 'nobody', values: {} });
    reportable = 'none';
  }
  if (flags.fraud) reasons.push({ key: 'fraud', values: {} });
  if (flags.publicView) reasons.push({ key: 'publicView', values: {} });
  if (notExempt > limit) reasons.push({ key: 'overLimit', values: { count: notExempt, limit } });
  else if (counts.people > limit) reasons.push({ key: 'overLimitIfNoExemption', values: { count: counts.people, notExempt, limit } });
  else if (counts.people > 0) reasons.push({ key: 'underLimit', values: { count: counts.people, limit } });
  if (unreadDrops > 0) reasons.push({ key: 'unreadDrops', values: { count: unreadDrops } });
  if (submissions > 0) reasons.push({ key: 'unconfirmedSubmissions', values: { count: submissions } });
  if (counts.people - notExempt > 0) reasons.push({ key: 'exemptionLikely', values: { count: counts.people - notExempt } });

  const anyone = counts.people > 0 || unreadDrops > 0 || submissions > 0;
  if (anyone && (flags.fraud || flags.publicView || notExempt > limit)) reportable = 'yes';
  else if (anyone && (counts.people > limit || unreadDrops > 0 || submissions > 0)) reportable = 'decide';
  else if (anyone) reportable = 'no';

  const finalDays = flags.fraud ? rules.finalReportDaysFraud : rules.finalReportDays;
  const due = reportable === 'yes' || reportable === 'decide';
  return {
    reportable,
    reasons,
    counts,
    notExempt,
    unreadDrops,
    unconfirmedSubmissions: submissions,
    quickDue: due ? jstDatePlus(discoveredAt, rules.quickReportDays) : null,
    finalDue: due ? jstDatePlus(discoveredAt, finalDays) : null,
    finalDays,
  };
}
