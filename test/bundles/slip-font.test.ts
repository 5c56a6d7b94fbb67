import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { slipFace, type FontFace } from '../../server/bundles/slip-pdf/font-face.js';
import { subsetTtf } from '../../server/bundles/slip-pdf/ttf-subset.js';

/**
 * The hand-written TrueType subsetter, checked with an independent reader
 * (fontkit, which pdfkit brings): the subset must hold each requested glyph's
 * outline and width at its new number, and rewrite a composite glyph's
 * component to that component's new number.
 */
const require = createRequire(import.meta.url);
interface KitGlyph { path: { toSVG(): string }; advanceWidth: number; _decode(): { numberOfContours: number; components?: { glyphID: number }[] } }
const fontkit = require('fontkit') as { create(b: Buffer): { numGlyphs: number; getGlyph(id: number): KitGlyph } };

describe('the slip font subset', () => {
  it('when 源泉徴収票 and a name are subset from Noto Sans JP, each glyph keeps its outline and width under its new number', () => {
    const face = slipFace();
    const gids = [...'源泉徴収票山田　太郎ﾔﾏﾀﾞ1,0'].map((ch) => face.gidOf(ch.codePointAt(0) as number));
    expect(gids.every((g) => g > 0)).toBe(true);
    const { file, gids: kept } = subsetTtf(face, gids);
    const original = fontkit.create(face.bytes);
    const subset = fontkit.create(file);
    expect(subset.numGlyphs).toBe(kept.length);
    kept.forEach((gid, i) => {
      expect(subset.getGlyph(i).path.toSVG()).toBe(original.getGlyph(gid).path.toSVG());
      expect(subset.getGlyph(i).advanceWidth).toBe(original.getGlyph(gid).advanceWidth);
    });
  });

  it('when a composite glyph is asked for, its component comes along and the composite points at the component’s new number', () => {
    const face = compositeFace();
    const { file, gids } = subsetTtf(face, [3]);
    expect(gids).toEqual([0, 2, 3]); // glyph 1 is not used, so 2 → 1 and 3 → 2
    const subset = fontkit.create(file);
    expect(subset.getGlyph(2)._decode().components?.map((c) => c.glyphID)).toEqual([1]);
    expect(subset.getGlyph(1).path.toSVG()).toBe('M0 0L100 0L0 100Z');
    expect(subset.getGlyph(2).path.toSVG()).toBe('M10 20L110 20L10 120Z'); // the triangle moved by (10, 20)
  });
});

/** Four glyphs: .notdef, an unused triangle, the triangle used by glyph 3, and glyph 3 = glyph 2 moved by (10, 20). */
function compositeFace(): FontFace {
  const head = Buffer.alloc(54);
  head.writeUInt32BE(0x00010000, 0);
  head.writeUInt32BE(0x5f0f3cf5, 12);
  head.writeUInt16BE(1000, 18);
  head.writeInt16BE(1, 50);
  const hhea = Buffer.alloc(36);
  hhea.writeUInt32BE(0x00010000, 0);
  hhea.writeUInt16BE(4, 34);
  const maxp = Buffer.alloc(32);
  maxp.writeUInt32BE(0x00010000, 0);
  maxp.writeUInt16BE(4, 4);
  const hmtx = Buffer.alloc(16);
  [500, 600, 700, 800].forEach((w, i) => hmtx.writeUInt16BE(w, 4 * i));
  // One contour, bbox 0 0 100 100, last point 2, no instructions, three on-curve points as 16-bit deltas: (0,0) (100,0) (0,100).
  const triangle = Buffer.from([0, 1, 0, 0, 0, 0, 0, 100, 0, 100, 0, 2, 0, 0, 1, 1, 1, 0, 0, 0, 100, 0xff, 0x9c, 0, 0, 0, 0, 0, 100]);
  // numberOfContours −1, bbox, then flags ARG_1_AND_2_ARE_WORDS | ARGS_ARE_XY_VALUES, glyph 2, dx 10, dy 20.
  const composite = Buffer.from([0xff, 0xff, 0, 10, 0, 20, 0, 110, 0, 120, 0, 3, 0, 2, 0, 10, 0, 20]);
  const glyphs = [Buffer.alloc(0), triangle, triangle, composite].map((g) => Buffer.concat([g, Buffer.alloc((4 - (g.length % 4)) % 4)]));
  const loca = Buffer.alloc(20);
  glyphs.reduce((at, g, i) => (loca.writeUInt32BE(at + g.length, 4 * (i + 1)), at + g.length), 0);
  const parts: [string, Buffer][] = [['head', head], ['hhea', hhea], ['maxp', maxp], ['hmtx', hmtx], ['loca', loca], ['glyf', Buffer.concat(glyphs)]];
  const tables = new Map<string, { offset: number; length: number }>();
  let offset = 0;
  for (const [tag, b] of parts) {
    tables.set(tag, { offset, length: b.length });
    offset += b.length;
  }
  const bytes = Buffer.concat(parts.map(([, b]) => b));
  return {
    bytes, tables, postscriptName: 'Test', unitsPerEm: 1000, ascent: 800, descent: -200, capHeight: 700, bbox: [0, 0, 110, 120], numGlyphs: 4,
    gidOf: () => 0,
    advanceOf: (gid) => hmtx.readUInt16BE(4 * gid),
  };
}
