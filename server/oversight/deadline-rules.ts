/**
 * Breach deadlines and thresholds as data (retention-and-breach.md §5.1, §5.3).
 * Several figures are taken over from 個情法 and are UNVERIFIED for 番号法
 * (§7): they are defaults an office corrects, kept here as one table, never
 * spread through the code. Every verdict shows which row it used.
 */
export interface BreachRules {
  /** 規則2条④: reportable when the people affected are MORE than this. */
  peopleThreshold: number;
  /** 個情法 規則7条, shown beside it. */
  personalInfoThreshold: number;
  /** 速報: "速やかに", about 3–5 days from discovery; the outer bound as a date to aim at. */
  quickReportDays: number;
  /** 確報: days from discovery. */
  finalReportDays: number;
  /** 確報 when 不正目的 is (possibly) involved. */
  finalReportDaysFraud: number;
  /** Which of the figures above are not confirmed for 番号法 (shown with the verdict). */
  unverified: ReadonlyArray<keyof Omit<BreachRules, 'unverified'>>;
}

export const DEFAULT_BREACH_RULES: Readonly<BreachRules> = Object.freeze({
  peopleThreshold: 100,
  personalInfoThreshold: 1000,
  quickReportDays: 5,
  finalReportDays: 30,
  finalReportDaysFraud: 60,
  unverified: Object.freeze(['quickReportDays', 'finalReportDays', 'finalReportDaysFraud'] as const),
});

/** Japan's calendar date (YYYY-MM-DD) `days` after the Japanese date of `from`. */
export function jstDatePlus(from: Date, days: number): string {
  const jst = new Date(from.getTime() + 9 * 3600_000);
  const d = new Date(Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), jst.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}
