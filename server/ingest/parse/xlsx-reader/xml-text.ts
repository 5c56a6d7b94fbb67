import { isUtf8 } from 'node:buffer';

/**
 * Text-level pieces of the fast xlsx reader: the decision to decline, the
 * checks every part passes before it is scanned, and SheetJS's own
 * unescaping of XML text.
 *
 * The reader must give exactly what SheetJS gives, so where SheetJS's result
 * depends on a detail (entity spelling, `_xHHHH_` escapes, case-insensitive
 * matching) its code is reproduced here, regexes included — they scan
 * linearly (no nested quantifiers), so no ReDoS. Where a part needs more than
 * these few, well-understood shapes, the reader declines and SheetJS reads
 * the file instead (xlsx-reader/index.ts).
 */

/** Thrown inside the reader when the input is not one it fully supports; caught once, at the top. */
export class Decline extends Error {
  constructor(readonly reason: string) {
    super(`fast xlsx reader declined: ${reason}`);
  }
}

export function decline(reason: string): never {
  throw new Decline(reason);
}

// Copied from SheetJS 0.20.3 (xlsx.mjs, unescapexml): `ig` on purpose — `&AMP;` becomes U+0000 there, and so here.
const ENTITY = /&(?:quot|apos|gt|lt|amp|#x?([\da-fA-F]+));/gi;
const OOXML_ESCAPE = /_x([\da-fA-F]{4})_/gi;
const NAMED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  '&quot;': '"',
  '&apos;': "'",
  '&gt;': '>',
  '&lt;': '<',
  '&amp;': '&',
});

/** SheetJS's unescapexml(text) for text without CDATA (the callers decline any `<` in text). */
export function unescapeXml(text: string): string {
  if (text.indexOf('&') < 0 && text.indexOf('_') < 0) return text;
  return text
    .replace(ENTITY, (m: string, code: string | undefined) => NAMED[m] || String.fromCharCode(parseInt(code as string, m.indexOf('x') > -1 ? 16 : 10)) || m)
    .replace(OOXML_ESCAPE, (_m: string, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** SheetJS's unescapexml(text, true): string values also turn CR LF into LF. */
export function unescapeXlsx(text: string): string {
  const out = unescapeXml(text);
  return out.indexOf('\r') < 0 ? out : out.replace(/\r\n/g, '\n');
}

/** The characters String.prototype.trim removes that are ASCII (SheetJS trims; non-ASCII ones make the reader decline). */
export function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export function trimAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isAsciiSpace(s.charCodeAt(a))) a++;
  while (b > a && isAsciiSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

export const PREFIXED_ELEMENT = /<\/?[A-Za-z_][\w.-]*:/;

/**
 * A part's bytes as text. SheetJS reads parts as one byte per character and
 * decodes UTF-8 per value, which equals decoding the whole part once only
 * when it is valid UTF-8 and not UTF-16 (SheetJS's own byte-order-mark test).
 */
export function partText(data: Buffer): string {
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[1] === 0xfe && data[2] === 0xff)) decline('utf-16 part');
  if (!isUtf8(data)) decline('not valid utf-8');
  return data.toString('utf8');
}

/**
 * The prolog and root tag (all before `upTo`): a DOCTYPE (and so any ENTITY)
 * can only stand there, and is left to the zip guard and SheetJS, which
 * refuse or handle it as they do today; so is strict OOXML, whose namespace
 * the root tag declares. `<!` further in fails the scanners' grammar.
 */
export function checkProlog(xml: string, upTo: number): void {
  const head = xml.slice(0, upTo);
  if (head.indexOf('<!') >= 0) decline('markup declaration');
  if (head.indexOf('purl.oclc.org') >= 0) decline('strict OOXML');
}

/** SheetJS matches `<x:c>` like `<c>`; the scanners here know unprefixed names only. */
export function refusePrefixes(text: string): void {
  if (PREFIXED_ELEMENT.test(text)) decline('namespace-prefixed element');
}
