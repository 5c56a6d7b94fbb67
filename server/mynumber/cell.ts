import { isValidMyNumber } from './check-digit.js';
import { maskNumber } from './mask.js';

/**
 * Reads one My Number cell the way design.md §5 says real files hold it:
 * half- or full-width digits, hyphens or spaces between the groups, numeric
 * cells. Anything that is not plainly a valid number goes to review with its
 * reason — nothing is "repaired" here. When restoring lost leading zeros
 * would give a valid number, that candidate is offered for staff to confirm.
 */
export type CellReason = 'missing' | 'wrong-length' | 'check-digit' | 'excel-damaged' | 'invalid-characters';

export type CellCheck =
  | { ok: true; number: string }
  | { ok: false; reason: CellReason; masked: string; proposedNumber?: string };

// Separators people type between the 4-digit groups (after NFKC: ASCII '-' and ' ').
const SEPARATORS = /[\s\u3000\-‐‑‒–—―−ーｰ_.・]/g;
const SCIENTIFIC = /^[+-]?\d+(?:\.\d+)?e[+-]?\d+$/i;
const DECIMAL = /^\d+\.\d+$/;

function fail(reason: CellReason, shown: string, proposedNumber?: string): CellCheck {
  return proposedNumber
    ? { ok: false, reason, masked: maskNumber(shown), proposedNumber }
    : { ok: false, reason, masked: maskNumber(shown) };
}

/** 1..11 digits that become valid with leading zeros put back: what Excel does to 0-leading numbers. */
function lostLeadingZeros(digits: string): string | undefined {
  if (digits.length >= 12 || digits.length < 6) return undefined;
  const padded = digits.padStart(12, '0');
  return isValidMyNumber(padded) ? padded : undefined;
}

function checkDigits(digits: string, fromNumericCell: boolean): CellCheck {
  if (digits.length === 12) {
    // Excel keeps 15 significant digits, but a number that went through the
    // exponent display (1.23457E+11) and back keeps 6: the rest are zeros.
    if (fromNumericCell && digits.endsWith('000000')) return fail('excel-damaged', digits);
    return isValidMyNumber(digits) ? { ok: true, number: digits } : fail('check-digit', digits);
  }
  const restored = lostLeadingZeros(digits);
  if (restored) return fail('excel-damaged', digits, restored);
  return fail('wrong-length', digits);
}

/**
 * @param text    the cell as text (for numeric cells, what the sheet showed)
 * @param numeric the raw value when the cell is a numeric cell
 */
export function checkMyNumberCell(text: string, numeric?: number): CellCheck {
  if (numeric !== undefined) {
    if (!Number.isFinite(numeric) || numeric < 0) return fail('invalid-characters', text);
    if (!Number.isInteger(numeric)) return fail('excel-damaged', String(numeric));
    if (numeric >= 1e15) return fail('excel-damaged', String(numeric)); // beyond Excel's 15 digits: already lost
    return checkDigits(String(numeric), true);
  }
  const t = text.normalize('NFKC').trim();
  if (t === '') return fail('missing', '');
  if (SCIENTIFIC.test(t)) return fail('excel-damaged', t);
  if (DECIMAL.test(t)) return fail('excel-damaged', t);
  const digits = t.replace(SEPARATORS, '');
  if (digits === '') return fail('missing', '');
  if (/^\d+$/.test(digits)) return checkDigits(digits, false);
  if (!/\d/.test(digits)) return fail('missing', ''); // 未提出, なし, 申請中 …: no number given
  return fail('invalid-characters', t);
}

/** True when a cell holds something shaped like a number (used to tell data from notes). */
export function looksNumeric(text: string): boolean {
  const d = text.normalize('NFKC').replace(/[^0-9]/g, '');
  return d.length >= 4;
}
