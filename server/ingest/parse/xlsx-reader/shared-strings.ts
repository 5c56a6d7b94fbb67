import { checkProlog, decline, isAsciiSpace, partText, refusePrefixes, trimAscii, unescapeXlsx } from './xml-text.js';

/**
 * xl/sharedStrings.xml → the strings, as SheetJS's parse_sst_xml and
 * parse_si make them (cellHTML off): an `<si>` that starts with `<t>` is that
 * text up to the first `</t>` (phonetic `<rPh>` runs and `<phoneticPr>` after
 * it ignored); otherwise, if it has rich-text runs `<r>`, the `<t>` texts
 * outside `<rPh>` joined; otherwise empty. Whitespace is kept as written
 * (xml:space is not consulted, as in SheetJS); entities and `_xHHHH_` are
 * decoded by SheetJS's rules and CR LF becomes LF.
 *
 * Declined: anything between or around the `<si>` elements but whitespace,
 * `<si>` with attributes, `<sstItem>`, `<` inside a text (CDATA, stray tags),
 * an unclosed `<rPh>`, a run's `<t>` with attributes other than
 * xml:space="preserve" (SheetJS strips tags with a regex that would keep
 * some of those as text).
 */

// SheetJS's own patterns (parse_si, str_remove_xml_ns_g): each scans linearly.
const RICH_RUN = /<(?:\w+:)?r\b[^<>]*>/;
const PHONETIC_OPEN = /<(?:\w+:)?rPh\b[^<>]*>/g;
const PHONETIC_CLOSE = /<\/(?:\w+:)?rPh>/g;
const RUN_TEXT = /<(?:\w+:)?t\b[^<>]*>([^<]*)<\/(?:\w+:)?t>/g;

function withoutPhonetic(x: string): string {
  if (x.indexOf('<rPh') < 0) return x;
  const out: string[] = [];
  let from = 0;
  PHONETIC_OPEN.lastIndex = 0;
  for (let m = PHONETIC_OPEN.exec(x); m; m = PHONETIC_OPEN.exec(x)) {
    out.push(x.slice(from, m.index));
    PHONETIC_CLOSE.lastIndex = PHONETIC_OPEN.lastIndex;
    if (!PHONETIC_CLOSE.exec(x)) decline('unclosed rPh');
    from = PHONETIC_CLOSE.lastIndex;
    PHONETIC_OPEN.lastIndex = from;
  }
  out.push(x.slice(from));
  return out.join('');
}

/** One `<si>` (or `<is>`) body → its text, SheetJS's parse_si. */
export function stringItemText(body: string): string {
  refusePrefixes(body);
  if (body.indexOf('sstItem') >= 0) decline('sstItem');
  const x = trimAscii(body);
  if (x === '') return '';
  if (x.charCodeAt(0) !== 60) decline('text outside an element in a string item');
  const gt = x.indexOf('>');
  if (x.startsWith('<t') && gt > 0) {
    const rest = x.slice(gt + 1);
    const end = rest.indexOf('</t>');
    const raw = end < 0 ? rest : rest.slice(0, end);
    if (raw.indexOf('<') >= 0) decline('markup inside a text');
    return unescapeXlsx(raw);
  }
  if (!RICH_RUN.test(x)) return '';
  const plain = withoutPhonetic(x);
  let raw = '';
  RUN_TEXT.lastIndex = 0;
  for (let m = RUN_TEXT.exec(plain); m; m = RUN_TEXT.exec(plain)) {
    if (!m[0].startsWith('<t>') && !m[0].startsWith('<t xml:space="preserve">')) decline('run text with attributes');
    raw += m[1];
  }
  return unescapeXlsx(raw);
}

/** The common `<t …>text</t>…` item read in place (what stringItemText gives it); undefined for any other shape. */
function plainItemText(xml: string, from: number, to: number): string | undefined {
  while (from < to && isAsciiSpace(xml.charCodeAt(from))) from++;
  if (!xml.startsWith('<t', from)) return undefined;
  const gt = xml.indexOf('>', from);
  if (gt < 0 || gt >= to) return undefined;
  const lt = xml.indexOf('<', gt + 1);
  if (lt < 0 || lt >= to || !xml.startsWith('</t>', lt)) return undefined;
  // What follows (phonetic runs) is ignored, as by SheetJS — unless it could be a prefixed si or an sstItem, which SheetJS splits on.
  if (lt + 4 < to) {
    const rest = xml.slice(lt + 4, to);
    if (rest.indexOf(':') >= 0 || rest.indexOf('sstItem') >= 0) return undefined;
  }
  return unescapeXlsx(xml.slice(gt + 1, lt));
}

export function readSharedStrings(data: Buffer): string[] {
  const xml = partText(data);
  if (xml.indexOf(':sst') >= 0) decline('namespace-prefixed sst');
  const strings: string[] = [];
  const open = xml.indexOf('<sst');
  if (open < 0) return strings;
  const after = xml.charCodeAt(open + 4);
  if (after !== 62 && after !== 47 && !isAsciiSpace(after)) decline('odd sst tag');
  const gt = xml.indexOf('>', open);
  if (gt < 0 || xml.lastIndexOf('<', gt) !== open) decline('malformed sst tag');
  checkProlog(xml, gt);
  const close = xml.indexOf('</sst>', gt);
  if (xml.charCodeAt(gt - 1) === 47) {
    if (close >= 0) decline('self-closed sst with a closing tag');
    return strings;
  }
  if (close < 0) decline('unclosed sst');
  let i = gt + 1;
  for (;;) {
    while (isAsciiSpace(xml.charCodeAt(i))) i++;
    if (i === close) return strings;
    if (!xml.startsWith('<si>', i)) decline('unexpected element in sst');
    const end = xml.indexOf('</si>', i + 4);
    if (end < 0 || end > close) decline('unclosed si');
    const next = xml.indexOf('<si', i + 4);
    if (next >= 0 && next < end) decline('nested si');
    strings.push(plainItemText(xml, i + 4, end) ?? stringItemText(xml.slice(i + 4, end)));
    i = end + 5;
  }
}
