import { cidToGidMap } from './cid-map.js';
import { deflate } from './deflate.js';
import type { FontFace } from './font-face.js';
import { subsetTtf } from './ttf-subset.js';

/**
 * One embedded font of a slip PDF, ready to be written: a Type0 font with
 * Identity-H codes whose CIDs are the face's own glyph ids, so the same page
 * content stream is valid in any document whose font holds its glyphs (a
 * person's 本人交付 page is built once and used in both their own PDF and the
 * combined one). A CIDToGIDMap takes each CID to its place in the subset;
 * a ToUnicode map makes the text extract (pdftotext, search, copy).
 */
export interface PreparedFont {
  readonly baseFont: string;
  /** The CIDs (face glyph ids) this font can draw. */
  readonly cids: ReadonlySet<number>;
  readonly fontFile: Buffer;
  readonly fontFileLength: number;
  readonly toUnicode: Buffer;
  /** Whether fontFile and toUnicode are deflated (see prepareFont's `shared`). */
  readonly flate: boolean;
  readonly cidToGid: Buffer;
  /** The W array, widths in 1/1000 em; CIDs not listed are 1000 (DW). */
  readonly widths: string;
  /** The FontDescriptor dictionary up to, not including, its FontFile2 entry and closing `>>` (the writer adds both). */
  readonly descriptor: string;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

function utf16Hex(cp: number): string {
  if (cp < 0x10000) return hex4(cp);
  const v = cp - 0x10000;
  return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
}

function toUnicodeCmap(chars: ReadonlyMap<number, number>): string {
  const entries = [...chars].sort((a, b) => a[0] - b[0]).map(([cid, cp]) => `<${hex4(cid)}> <${utf16Hex(cp)}>`);
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    blocks.push(`${chunk.length} beginbfchar\n${chunk.join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin 12 dict begin begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def /CMapType 2 def',
    '1 begincodespacerange <0000> <FFFF> endcodespacerange',
    ...blocks,
    'endcmap CMapName currentdict /CMap defineresource pop end end',
  ].join('\n');
}

/** The CIDToGIDMap as it is (CID gids[i] → glyph i), for the one font a build shares: zlib at level 9 makes it ≈ 25 % smaller than cidToGidMap's fixed codes, once. */
function plainMap(gids: readonly number[]): Buffer {
  const map = Buffer.alloc(2 * ((gids[gids.length - 1] ?? 0) + 1));
  gids.forEach((gid, i) => map.writeUInt16BE(i, 2 * gid));
  return map;
}

function widthsArray(face: FontFace, cids: readonly number[]): string {
  const scale = 1000 / face.unitsPerEm;
  const out: string[] = [];
  for (const cid of cids) {
    const w = Math.round(face.advanceOf(cid) * scale);
    if (w !== 1000) out.push(`${cid} [${w}]`);
  }
  return `[${out.join(' ')}]`;
}

/**
 * A font made once for a whole build (`shared`) is deflated as hard as zlib
 * goes. A document's own font is made 10,000 times for the 本人交付 PDFs and
 * holds some 17 glyphs: its outlines shrink by a fifth at most and its
 * ToUnicode map by a few hundred bytes, while each deflate call costs tens of
 * microseconds of set-up — so they are stored as they are (+1 KiB a file,
 * −1 s a build). Its CIDToGIDMap is mostly zeros and is always deflated: the
 * shared font's by zlib, a document's own by cid-map.ts, which writes the
 * stream straight from the glyph list (zlib cost ≈ 40 % of the 10,000 PDFs).
 */
/**
 * @param chars CID (face glyph id) → the character it was drawn for.
 * @param tag six capital letters, distinct per font in one PDF (ISO 32000-1 §9.6.4).
 */
export function prepareFont(face: FontFace, chars: ReadonlyMap<number, number>, tag: string, shared: boolean): PreparedFont {
  const { file, gids } = subsetTtf(face, chars.keys());
  const scale = 1000 / face.unitsPerEm;
  const baseFont = `${tag}+${face.postscriptName}`;
  const [x0, y0, x1, y1] = face.bbox.map((v) => Math.round(v * scale));
  const descriptor =
    `<< /Type /FontDescriptor /FontName /${baseFont} /Flags 4 /FontBBox [${x0} ${y0} ${x1} ${y1}] /ItalicAngle 0` +
    ` /Ascent ${Math.round(face.ascent * scale)} /Descent ${Math.round(face.descent * scale)} /CapHeight ${Math.round(face.capHeight * scale)} /StemV 80`;
  return {
    baseFont,
    cids: new Set(gids),
    fontFile: shared ? deflate(file, 9) : file,
    fontFileLength: file.length,
    toUnicode: shared ? deflate(toUnicodeCmap(chars), 9) : Buffer.from(toUnicodeCmap(chars), 'latin1'),
    flate: shared,
    cidToGid: shared ? deflate(plainMap(gids), 9) : cidToGidMap(gids),
    widths: widthsArray(face, gids),
    descriptor,
  };
}
