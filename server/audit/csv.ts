/**
 * CSV for people who open it in Excel (security.md: exports escape leading
 * = + - @). Excel reads a UTF-8 file as Shift_JIS unless it starts with a BOM,
 * which would turn every Japanese name into mojibake.
 */
export const CSV_BOM = '\uFEFF';

/**
 * A cell that starts like a formula would be run by Excel or LibreOffice
 * (formula injection: `=HYPERLINK(...)`, `@SUM(...)`, DDE `=cmd|...`); tab and
 * CR start one too after some parsers trim. Full-width ＝＋－＠ are included
 * because Excel converts them on entry. The leading ' makes it plain text.
 */
const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/u;

export function csvCell(value: string | number | null | undefined): string {
  let text = value == null ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** One record, CRLF-terminated as RFC 4180 and Excel expect. */
export function csvLine(cells: ReadonlyArray<string | number | null | undefined>): string {
  return cells.map(csvCell).join(',') + '\r\n';
}
