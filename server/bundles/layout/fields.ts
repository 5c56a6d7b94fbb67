/**
 * Columns by meaning, so readers and writers say `COL.pay` and not `17`.
 * Cols 1–143 are numbered the same in every known 年分; 作成区分 moves, so it
 * is looked up with sakuseiKubunCol(layout) instead.
 */
export const COL = {
  kind: 1,
  payerAddress: 4,
  payerName: 5,
  payerPhone: 6,
  nenbun: 11,
  address: 12,
  abroad: 13,
  name: 14,
  title: 15,
  paymentType: 16,
  pay: 17,
  afterDeduction: 19,
  deductionsTotal: 20,
  tax: 21,
  socialInsurance: 36,
  birthEra: 44,
  birthYear: 45,
  birthMonth: 46,
  birthDay: 47,
  otsu: 50,
  deathRetirement: 57,
  disaster: 58,
  midYearKind: 60,
  midYearYear: 61,
  midYearMonth: 62,
  midYearDay: 63,
  disasterDeferredTax: 70,
  tekiyo: 86,
  payerNumber: 94,
  selfNumber: 95,
  extraDependents: 132,
  extraUnder16: 133,
  futsu: 134,
  furigana: 137,
  employeeCode: 138,
  municipality: 139,
  designatedNumber: 140,
} as const;

/** First column (フリガナ) of each family block; +1 氏名, +2 区分, +3 個人番号. */
export const FAMILY = {
  spouse: 96,
  dependents: [100, 104, 108, 112],
  under16: [116, 120, 124, 128],
} as const;

export const FAMILY_OFFSET = { furigana: 0, name: 1, kubun: 2, number: 3 } as const;
