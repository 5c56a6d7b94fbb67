/**
 * Who goes where, as data per 年分 (year-end.md §2). Thresholds are strict:
 * the statute says 「超える」, so a 役員 paid exactly 1,500,000 is not filed.
 *
 * The 令和9年 change (UNVERIFIED, secondary only: filings from 令和9年1月1日
 * — i.e. 令和8年分 — count for both, and the 税務署 範囲 matches the 給報's)
 * is meant to be one more entry with `taxOffice: { kind: 'same-as-municipal' }`;
 * it is not added until the NTA confirms it.
 */
export interface TaxOfficeThresholds {
  readonly kind: 'thresholds';
  /** 年末調整済. */
  readonly adjusted: { readonly officer: number; readonly professional: number; readonly other: number };
  /** 年調なし: 扶養控除等申告書 filed and left during the year, or a 災害 猶予. */
  readonly leaverOrDisaster: { readonly officer: number; readonly other: number };
  /** 年調なし, 乙欄 / 丙欄. */
  readonly otsuHei: number;
  /** 年調なし because 主たる給与 exceeds this: always filed. */
  readonly alwaysOver: number;
}

export interface RuleSet {
  readonly nenbun: number;
  readonly taxOffice: TaxOfficeThresholds | { readonly kind: 'same-as-municipal' };
  /** 給報: everyone, except leavers paid this much or less, who may be omitted. */
  readonly municipal: { readonly leaverOmitMax: number };
}

const UNTIL_R8: Omit<RuleSet, 'nenbun'> = {
  taxOffice: {
    kind: 'thresholds',
    adjusted: { officer: 1_500_000, professional: 2_500_000, other: 5_000_000 },
    leaverOrDisaster: { officer: 500_000, other: 2_500_000 },
    otsuHei: 500_000,
    alwaysOver: 20_000_000,
  },
  municipal: { leaverOmitMax: 300_000 },
};

const RULES: ReadonlyMap<number, RuleSet> = new Map([
  [6, { nenbun: 6, ...UNTIL_R8 }],
  [7, { nenbun: 7, ...UNTIL_R8 }],
]);

export function rulesFor(nenbun: number): RuleSet | undefined {
  return RULES.get(nenbun);
}

/**
 * Per company (給与支払者) choices. `omitSmallLeavers` defaults to false:
 * omitting a leaver paid ≤ 30万円 is an allowance (提出しないことができる),
 * not a duty; filing them is always lawful and lets the 市区町村 see pay
 * from several small jobs, while a wrong omission is a missed filing.
 */
export interface CompanyOptions {
  readonly omitSmallLeavers: boolean;
}

export const DEFAULT_COMPANY_OPTIONS: CompanyOptions = { omitSmallLeavers: false };
