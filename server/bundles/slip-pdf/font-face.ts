import fs from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Noto Sans JP Regular (the npm font kinko already embeds in its
 * certificates), read once per process and parsed only as far as the slip
 * PDFs need: the cmap (character → glyph), advance widths, a few metrics and
 * where each table lies, so that ttf-subset.ts can copy glyph outlines
 * straight out of the file. Parsing this 5 MB font costs tens of ms: doing it
 * once instead of once per document is what lets 10,000 individual 本人交付
 * PDFs be made in seconds (bench/bundles/pdf-only.ts).
 */
const require = createRequire(import.meta.url);
const FONT_FILE = require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');

export interface TableSpan {
  readonly offset: number;
  readonly length: number;
}

export interface FontFace {
  readonly bytes: Buffer;
  readonly tables: ReadonlyMap<string, TableSpan>;
  readonly postscriptName: string;
  readonly unitsPerEm: number;
  readonly ascent: number;
  readonly descent: number;
  readonly capHeight: number;
  readonly bbox: readonly [number, number, number, number];
  readonly numGlyphs: number;
  /** 0 (.notdef, drawn as a box) when the font has no glyph: a character is never dropped unseen. */
  gidOf(codePoint: number): number;
  /** Advance width in font units. */
  advanceOf(gid: number): number;
}

function tableDirectory(b: Buffer): Map<string, TableSpan> {
  const tables = new Map<string, TableSpan>();
  const count = b.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + 16 * i;
    tables.set(b.toString('latin1', at, at + 4), { offset: b.readUInt32BE(at + 8), length: b.readUInt32BE(at + 12) });
  }
  return tables;
}

function need(tables: ReadonlyMap<string, TableSpan>, tag: string): TableSpan {
  const t = tables.get(tag);
  if (!t) throw new Error(`slip font: no ${tag} table`);
  return t;
}

/** cmap format 12 (Windows, full Unicode): sorted groups, searched by halves. */
function cmap12(b: Buffer, cmap: TableSpan): (cp: number) => number {
  const records = b.readUInt16BE(cmap.offset + 2);
  for (let i = 0; i < records; i++) {
    const at = cmap.offset + 4 + 8 * i;
    const sub = cmap.offset + b.readUInt32BE(at + 4);
    if (b.readUInt16BE(at) === 3 && b.readUInt16BE(at + 2) === 10 && b.readUInt16BE(sub) === 12) {
      const groups = b.readUInt32BE(sub + 12);
      const g0 = sub + 16;
      return (cp) => {
        let lo = 0;
        let hi = groups - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const at12 = g0 + 12 * mid;
          if (cp < b.readUInt32BE(at12)) hi = mid - 1;
          else if (cp > b.readUInt32BE(at12 + 4)) lo = mid + 1;
          else return b.readUInt32BE(at12 + 8) + cp - b.readUInt32BE(at12);
        }
        return 0;
      };
    }
  }
  throw new Error('slip font: no format 12 cmap');
}

function postscriptName(b: Buffer, name: TableSpan): string {
  const count = b.readUInt16BE(name.offset + 2);
  const strings = name.offset + b.readUInt16BE(name.offset + 4);
  for (let i = 0; i < count; i++) {
    const at = name.offset + 6 + 12 * i;
    if (b.readUInt16BE(at + 6) !== 6 || b.readUInt16BE(at) !== 3) continue;
    const start = strings + b.readUInt16BE(at + 10);
    const text = b.subarray(start, start + b.readUInt16BE(at + 8));
    return Buffer.from(text).swap16().toString('utf16le');
  }
  return 'NotoSansJP-Regular';
}

function load(): FontFace {
  const bytes = fs.readFileSync(FONT_FILE);
  const tables = tableDirectory(bytes);
  const head = need(tables, 'head').offset;
  const hhea = need(tables, 'hhea').offset;
  const hmtx = need(tables, 'hmtx').offset;
  const os2 = tables.get('OS/2');
  const numberOfHMetrics = bytes.readUInt16BE(hhea + 34);
  const lookup = cmap12(bytes, need(tables, 'cmap'));
  const gids = new Map<number, number>();
  return {
    bytes,
    tables,
    postscriptName: postscriptName(bytes, need(tables, 'name')),
    unitsPerEm: bytes.readUInt16BE(head + 18),
    ascent: bytes.readInt16BE(hhea + 4),
    descent: bytes.readInt16BE(hhea + 6),
    capHeight: os2 && bytes.readUInt16BE(os2.offset) >= 2 ? bytes.readInt16BE(os2.offset + 88) : 700,
    bbox: [bytes.readInt16BE(head + 36), bytes.readInt16BE(head + 38), bytes.readInt16BE(head + 40), bytes.readInt16BE(head + 42)],
    numGlyphs: bytes.readUInt16BE(need(tables, 'maxp').offset + 4),
    gidOf(cp) {
      let g = gids.get(cp);
      if (g === undefined) {
        g = lookup(cp);
        gids.set(cp, g);
      }
      return g;
    },
    advanceOf(gid) {
      return bytes.readUInt16BE(hmtx + 4 * Math.min(gid, numberOfHMetrics - 1));
    },
  };
}

let face: FontFace | undefined;

/** The one parsed face, loaded at first use (never at import time). */
export function slipFace(): FontFace {
  face ??= load();
  return face;
}
