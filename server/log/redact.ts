import { isValidMyNumber } from '../mynumber/check-digit.js';

/**
 * The last line of defence for P3/P6: records about handling (logs, error
 * pages, emails) must never hold a My Number (PPC guideline). Any run of 12
 * digits — half- or full-width, with hyphens or spaces between the 4-digit
 * groups — whose check digit is valid is replaced before the text leaves kinko.
 * A wrong check digit is left alone: about 10 in 11 random 12-digit strings
 * (phone numbers, amounts) are not My Numbers and stay readable.
 */
export const REDACTED = '[個人番号削除]';

const D = '[0-9０-９]';
const SEP = '[-‐－ー−\\s　]?';
const GROUP = `${D}{4}`;
const PATTERN = new RegExp(`(?<![0-9０-９])${GROUP}${SEP}${GROUP}${SEP}${GROUP}(?![0-9０-９])`, 'gu');

function toAscii(s: string): string {
  return s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[^0-9]/g, '');
}

export function redactMyNumbers(text: string): string {
  if (!text) return text;
  return text.replace(PATTERN, (m) => (isValidMyNumber(toAscii(m)) ? REDACTED : m));
}

/**
 * A cheap pre-check: false means containsMyNumber(text) is false. Every match
 * of PATTERN holds exactly 12 characters of D (0-9, ０-９), so a text with
 * fewer such characters cannot hold one. True means only "look closer".
 */
export function mayContainMyNumber(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0xff10 && c <= 0xff19)) {
      if (++digits >= 12) return true;
    }
  }
  return false;
}

/** True when the text holds something redactMyNumbers would replace (used by tests and scans). */
export function containsMyNumber(text: string): boolean {
  return redactMyNumbers(text) !== text;
}
