/**
 * The shape of one 統一CSV column (year-end.md §4.2). Kept as plain data so an
 * office can correct a length or a class that the 仕様書 says otherwise
 * without touching the code that reads and writes rows.
 */

/**
 * - zenkaku: JIS X 0208 double-byte characters only (no ASCII, no 半角カナ);
 * - hankaku: single-byte characters (ASCII and JIS X 0201 カナ);
 * - digits: ASCII 0–9 only;
 * - hankaku-kana: JIS X 0201 カナ and the half-width space (フリガナ);
 * - free: anything Shift_JIS (JIS第1・第2水準) can carry.
 */
export type CharClass = 'zenkaku' | 'hankaku' | 'digits' | 'hankaku-kana' | 'free';

export interface ColumnSpec {
  /** 1-based position in the row. */
  readonly col: number;
  /** The name as the 仕様書 (via osync) gives it. */
  readonly name: string;
  readonly chars: CharClass;
  /** In characters; undefined = unknown (never guessed). 0 = must stay blank. */
  readonly maxLength?: number;
  readonly minLength?: number;
  /** Allowed values when the sources list them. */
  readonly values?: readonly string[];
  /** ★: a My Number / 法人番号 cell, filled from the vault only while sealing. */
  readonly numberBearing?: true;
  /** ◆: decides where the row goes. */
  readonly routing?: true;
  /** Where a value is UNVERIFIED or inferred: what to check against the 仕様書. */
  readonly note?: string;
}

export interface Layout {
  /** 令和 year of the 年分 (7 = 令和7年分). */
  readonly nenbun: number;
  readonly columns: readonly ColumnSpec[];
}
