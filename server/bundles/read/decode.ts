import { decodeShiftJis } from '../layout/chars.js';
import { problem, type Problem } from '../problems.js';

/**
 * Bytes → text lines. The 統一CSV is Shift_JIS (year-end.md §4.1); a UTF-8
 * file (Excel's 「CSV UTF-8」, a Mac export) decoded as Shift_JIS would give
 * 文字化け names that pass every column check, so it is refused by name.
 * kinko's template (`allowUtf8`) takes either, since Excel writes both.
 */
export type Decoded = { ok: true; lines: string[]; encoding: 'shift_jis' | 'utf-8' } | { ok: false; problem: Problem };

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const hasBom = (b: Uint8Array) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
const hasHighBytes = (b: Uint8Array) => b.some((x) => x >= 0x80);

export function decodeLines(bytes: Uint8Array, opts: { allowUtf8?: boolean } = {}): Decoded {
  // Valid UTF-8 with any byte ≥ 0x80 is almost never Japanese Shift_JIS text
  // (its lead/trail pairs rarely form valid UTF-8 sequences); pure ASCII is both.
  const utf8 = hasBom(bytes) || (hasHighBytes(bytes) && isUtf8(bytes));
  if (utf8 && !opts.allowUtf8) return { ok: false, problem: problem('file.utf8', 'error', {}) };
  const text = utf8 ? UTF8.decode(hasBom(bytes) ? bytes.subarray(3) : bytes) : decodeShiftJis(bytes);
  // iconv-lite decodes bytes that are not Shift_JIS as U+FFFD.
  const bad = text.split(/\r?\n/).findIndex((l) => l.includes('\uFFFD'));
  if (bad >= 0) return { ok: false, problem: problem('file.notShiftJis', 'error', { line: bad + 1 }, { line: bad + 1 }) };
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop(); // the break after the last record
  return { ok: true, lines, encoding: utf8 ? 'utf-8' : 'shift_jis' };
}

/**
 * One record → cells. Payroll exports write bare fields (the layout has no
 * quoting, UNVERIFIED); a program that quotes anyway is read as RFC 4180 so
 * that a quoted comma does not shift every later column.
 */
export function splitRecord(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}
