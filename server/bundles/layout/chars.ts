import iconv from 'iconv-lite';

/**
 * What the 統一CSV may carry: Shift_JIS with JIS第1・第2水準 only (year-end.md
 * §4.1). iconv-lite's Shift_JIS is the Windows (CP932) table, which also
 * encodes the NEC and IBM extensions (①, ㈱, 髙, 﨑) and turns anything it
 * cannot encode into "?" without a word. So each character is checked here:
 * it must round-trip, and a double-byte one must sit in a JIS X 0208 row.
 */

/**
 * The same JIS X 0208 characters under their JIS-standard Unicode mapping,
 * which Mac and Linux input methods produce (〜 for 1-33 …). CP932 maps them
 * elsewhere; they are the same character on the form, so encoding them to
 * the JIS code is not a replacement.
 */
const JIS_TO_CP932: Readonly<Record<string, string>> = {
  '\u301C': '\uFF5E', // 〜 WAVE DASH → ～
  '\u2212': '\uFF0D', // − MINUS SIGN → －
  '\u2016': '\u2225', // ‖ → ∥
  '\u2014': '\u2015', // — EM DASH → ―
  '\u00A2': '\uFFE0', // ¢
  '\u00A3': '\uFFE1', // £
  '\u00AC': '\uFFE2', // ¬
};

export function toCp932Form(text: string): string {
  return text.replace(/[\u301C\u2212\u2016\u2014\u00A2\u00A3\u00AC]/g, (c) => JIS_TO_CP932[c] ?? c);
}

/** JIS X 0208 rows in use: 1–8 (symbols, kana, Greek, Cyrillic, box drawing), 16–47 第1水準, 48–84 第2水準. */
function jisRowAllowed(row: number): boolean {
  return (row >= 1 && row <= 8) || (row >= 16 && row <= 84);
}

/** The JIS X 0208 row of a Shift_JIS double-byte code. */
function jisRow(lead: number, trail: number): number {
  const base = lead <= 0x9f ? lead - 0x81 : lead - 0xc1;
  return base * 2 + (trail >= 0x9f ? 2 : 1);
}

export type CharKind = 'ascii' | 'kana-half' | 'jis0208' | 'outside';

const cache = new Map<string, CharKind>();

/** How one character (a code point, after toCp932Form) encodes. */
export function charKind(ch: string): CharKind {
  const hit = cache.get(ch);
  if (hit) return hit;
  const bytes = iconv.encode(ch, 'shift_jis');
  let kind: CharKind = 'outside';
  if (iconv.decode(bytes, 'shift_jis') === ch) {
    const b0 = bytes[0] ?? 0;
    if (bytes.length === 1) kind = b0 >= 0xa1 && b0 <= 0xdf ? 'kana-half' : b0 >= 0x20 && b0 <= 0x7e ? 'ascii' : 'outside';
    else if (bytes.length === 2 && jisRowAllowed(jisRow(b0, bytes[1] ?? 0))) kind = 'jis0208';
  }
  cache.set(ch, kind);
  return kind;
}

/** Characters of `text` outside JIS第1・第2水準 (and ASCII / 半角カナ), each once. */
export function outsideJis(text: string): string[] {
  return [...new Set([...toCp932Form(text)].filter((c) => charKind(c) === 'outside'))];
}

export function encodeShiftJis(text: string): Buffer {
  return iconv.encode(toCp932Form(text), 'shift_jis');
}

export function decodeShiftJis(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'shift_jis');
}
