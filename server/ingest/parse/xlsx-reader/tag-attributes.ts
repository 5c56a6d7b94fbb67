import { decline, isAsciiSpace } from './xml-text.js';

/**
 * The attributes of a `<row>` or `<c>` start tag, read the way SheetJS's
 * parsexmltag would give `r`, `s` and `t` — or a decline where its answer
 * would depend on something odd. parsexmltag folds names: it lower-cases
 * them (`R` also sets `r`), cuts them at `_` (`r_x` sets `r`) and drops
 * prefixes (`x:r` sets `r`); any such spelling, a repeated name, an unquoted
 * value, or `<`, `>` or non-ASCII inside a tag is declined here.
 */
export interface TagAttributes {
  /** Index just past the tag's `>`. */
  end: number;
  selfClosing: boolean;
  /** Index of the `r` of the `r` attribute's name, -1 without one; its value is xml[rFrom, rTo). */
  rAt: number;
  rFrom: number;
  rTo: number;
  /** The `s` value (style index), if any. */
  s: string | undefined;
  /** The `t` value (cell type), if any. */
  t: string | undefined;
}

// t="s", t="n" …: no new string per cell.
const ONE_LETTER_TYPES: Record<number, string> = { 115: 's', 110: 'n', 98: 'b', 101: 'e', 100: 'd' };

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58 || c === 95 || c === 45 || c === 46;
}

/** The keys parsexmltag stores an attribute under. */
function foldedKeys(name: string): string[] {
  const colon = name.indexOf(':');
  let k: string;
  if (colon < 0) {
    const us = name.indexOf('_');
    k = us > 0 ? name.slice(0, us) : name;
  } else k = (colon === 5 && name.startsWith('xmlns') ? 'xmlns' : '') + name.slice(colon + 1);
  return [k, k.toLowerCase()];
}

/** Only a one-letter name, or one with `:` or `_`, can fold into a one-letter key. */
function mayFold(xml: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = xml.charCodeAt(k);
    if (c === 58 || c === 95) return true;
  }
  return false;
}

function isWatched(k: string): boolean {
  return k === 'r' || k === 's' || k === 't';
}

/** Reads attributes from `at` (just after the element name) to the end of the tag. Reuses `out`. */
export function readAttributes(xml: string, at: number, out: TagAttributes): TagAttributes {
  out.s = out.t = undefined;
  out.rAt = out.rFrom = out.rTo = -1;
  let i = at;
  for (;;) {
    let c = xml.charCodeAt(i);
    let spaced = false;
    while (isAsciiSpace(c)) {
      c = xml.charCodeAt(++i);
      spaced = true;
    }
    if (c === 62) {
      out.end = i + 1;
      out.selfClosing = false;
      return out;
    }
    if (c === 47) {
      if (xml.charCodeAt(i + 1) !== 62) decline('malformed tag');
      out.end = i + 2;
      out.selfClosing = true;
      return out;
    }
    if (!spaced) decline('malformed tag');
    const nameAt = i;
    while (isNameChar(c)) c = xml.charCodeAt(++i);
    if (i === nameAt || c !== 61) decline('malformed attribute');
    const nameEnd = i;
    const quote = xml.charCodeAt(++i);
    if (quote !== 34 && quote !== 39) decline('unquoted attribute');
    const valueAt = i + 1;
    const valueEnd = xml.indexOf(quote === 34 ? '"' : "'", valueAt);
    if (valueEnd < 0) decline('unclosed attribute');
    for (let k = valueAt; k < valueEnd; k++) {
      const v = xml.charCodeAt(k);
      if (v === 60 || v === 62 || v > 126) decline('odd attribute value');
    }
    const one = nameEnd - nameAt === 1 ? xml.charCodeAt(nameAt) : 0;
    if (one === 114) {
      if (out.rAt >= 0) decline('repeated attribute');
      out.rAt = nameAt;
      out.rFrom = valueAt;
      out.rTo = valueEnd;
    } else if (one === 115) {
      if (out.s !== undefined) decline('repeated attribute');
      out.s = xml.slice(valueAt, valueEnd);
    } else if (one === 116) {
      if (out.t !== undefined) decline('repeated attribute');
      out.t = valueEnd - valueAt === 1 ? ONE_LETTER_TYPES[xml.charCodeAt(valueAt)] ?? xml.slice(valueAt, valueEnd) : xml.slice(valueAt, valueEnd);
    } else if (one !== 0 || mayFold(xml, nameAt, nameEnd)) {
      const [a, b] = foldedKeys(xml.slice(nameAt, nameEnd));
      if (isWatched(a!) || isWatched(b!)) decline('attribute SheetJS folds into r, s or t');
    }
    i = valueEnd + 1;
  }
}

export function newTagAttributes(): TagAttributes {
  return { end: 0, selfClosing: false, rAt: -1, rFrom: -1, rTo: -1, s: undefined, t: undefined };
}
