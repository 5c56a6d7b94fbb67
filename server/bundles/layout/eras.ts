/**
 * 元号 as the layout's date cells code them (cols 44, 61 …). UNVERIFIED codes
 * (luca-jp, year-end.md §10): 1 昭和, 2 大正, 3 明治, 4 平成, 5 令和 — kept in
 * this one table, which both the readers (dates → codes) and the printed
 * slips (codes → names) use.
 */
export const ERAS = [
  { code: '5', name: '令和', from: '2019-05-01', start: 2019 },
  { code: '4', name: '平成', from: '1989-01-08', start: 1989 },
  { code: '1', name: '昭和', from: '1926-12-25', start: 1926 },
  { code: '2', name: '大正', from: '1912-07-30', start: 1912 },
  { code: '3', name: '明治', from: '1868-01-25', start: 1868 },
] as const;

/** The 元号's name for a code; an unknown code prints as written rather than as a guess. */
export function eraName(code: string): string {
  return ERAS.find((e) => e.code === code)?.name ?? code;
}
