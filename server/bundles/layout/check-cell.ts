import { charKind, outsideJis, toCp932Form } from './chars.js';
import type { ColumnSpec } from './types.js';

/**
 * One cell against its column's class and length. Returns what is wrong, as
 * codes with the offending characters — never the cell's value, because a
 * cell may hold a number (a stray 個人番号 in 摘要, a ★ cell) and the result
 * ends up in messages and logs. Digits are never reported as characters.
 */
export type CellFault =
  | { fault: 'outside-jis'; chars: string[] }
  | { fault: 'hankaku-in-zenkaku'; chars: string[] }
  | { fault: 'zenkaku-in-hankaku'; chars: string[] }
  | { fault: 'not-digits'; chars: string[] }
  | { fault: 'not-kana'; chars: string[] }
  | { fault: 'too-long'; max: number; length: number }
  | { fault: 'too-short'; min: number; length: number }
  | { fault: 'must-be-blank' }
  | { fault: 'bad-value'; allowed: readonly string[] }
  | { fault: 'comma' };

const DIGIT = /[0-9０-９]/;
const KANA = /^[\uFF65-\uFF9F ]$/;

/** The offending characters, each once, digits left out (they could spell a number). */
function shown(chars: string[]): string[] {
  return [...new Set(chars)].filter((c) => !DIGIT.test(c));
}

function classFault(spec: ColumnSpec, chars: string[]): CellFault | undefined {
  switch (spec.chars) {
    case 'zenkaku': {
      const bad = chars.filter((c) => charKind(c) !== 'jis0208');
      return bad.length ? { fault: 'hankaku-in-zenkaku', chars: shown(bad) } : undefined;
    }
    case 'hankaku': {
      const bad = chars.filter((c) => charKind(c) === 'jis0208');
      return bad.length ? { fault: 'zenkaku-in-hankaku', chars: shown(bad) } : undefined;
    }
    case 'digits': {
      const bad = chars.filter((c) => c < '0' || c > '9');
      return bad.length ? { fault: 'not-digits', chars: shown(bad) } : undefined;
    }
    case 'hankaku-kana': {
      const bad = chars.filter((c) => !KANA.test(c));
      return bad.length ? { fault: 'not-kana', chars: shown(bad) } : undefined;
    }
    case 'free':
      return undefined;
  }
}

/** Empty cells pass every rule but must-be-blank's opposite: blank is always allowed. */
export function checkCell(spec: ColumnSpec, value: string): CellFault[] {
  if (value === '') return [];
  if (spec.maxLength === 0) return [{ fault: 'must-be-blank' }];
  if (value.includes(',')) return [{ fault: 'comma' }];
  const chars = [...toCp932Form(value)];
  const outside = outsideJis(value);
  if (outside.length) return [{ fault: 'outside-jis', chars: shown(outside) }];
  const faults: CellFault[] = [];
  const cls = classFault(spec, chars);
  if (cls) faults.push(cls);
  if (spec.maxLength !== undefined && chars.length > spec.maxLength) {
    faults.push({ fault: 'too-long', max: spec.maxLength, length: chars.length });
  }
  if (spec.minLength !== undefined && chars.length < spec.minLength) {
    faults.push({ fault: 'too-short', min: spec.minLength, length: chars.length });
  }
  if (!cls && spec.values && !spec.values.includes(value)) faults.push({ fault: 'bad-value', allowed: spec.values });
  return faults;
}
