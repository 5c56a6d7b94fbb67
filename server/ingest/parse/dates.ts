/**
 * A date cell of a roster (the 退職日 column) as YYYY-MM-DD, or null when it
 * is not plainly one date. Read: an Excel date (the cell's serial number,
 * 1900 date system), 2026-03-31 / 2026/3/31 / 2026.3.31 / 2026年3月31日, and
 * the era forms 令和8年3月31日 / R8.3.31 / 平成31年4月30日 / H31.4.30 — in
 * full or half width. Anything else (3/31, 31-Mar, a note) is null: never a
 * guessed date.
 */
const ERAS: Record<string, number> = { 令和: 2018, r: 2018, 平成: 1988, h: 1988, 昭和: 1925, s: 1925 };
const WESTERN = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/;
const ERA = /^(令和|平成|昭和|r|h|s)(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/;

export function dateCell(text: string, serial?: number): string | null {
  if (serial !== undefined && Number.isFinite(serial)) {
    // Excel serials for 1950–2100; 25569 is 1970-01-01 (the 1900 system's leap-year bug is before 1 March 1900).
    if (serial < 18264 || serial > 73051 || !Number.isInteger(serial)) return null;
    return new Date((serial - 25569) * 86_400_000).toISOString().slice(0, 10);
  }
  const t = text.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  if (t.length > 20) return null;
  let y: number, m: number, d: number;
  const w = WESTERN.exec(t);
  const e = w ? null : ERA.exec(t);
  if (w) [y, m, d] = [Number(w[1]), Number(w[2]), Number(w[3])];
  else if (e) [y, m, d] = [ERAS[e[1]!]! + (e[2] === '元' ? 1 : Number(e[2])), Number(e[3]), Number(e[4])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}
