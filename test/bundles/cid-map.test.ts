import zlib from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { cidToGidMap } from '../../server/bundles/slip-pdf/cid-map.js';
import { slipFace } from '../../server/bundles/slip-pdf/font-face.js';
import { subsetTtf } from '../../server/bundles/slip-pdf/ttf-subset.js';

/**
 * The hand-written CIDToGIDMap stream, read back with node:zlib (an
 * independent inflater): it must hold exactly the map a PDF viewer needs —
 * CID gids[i] → glyph i, every other CID → 0 — for any set of glyphs.
 */
function expected(gids: readonly number[]): Buffer {
  const map = Buffer.alloc(2 * ((gids[gids.length - 1] ?? 0) + 1));
  gids.forEach((gid, i) => map.writeUInt16BE(i, 2 * gid));
  return map;
}

/** A deterministic spread of glyph sets (a small LCG, so a failure can be replayed). */
function glyphSets(): number[][] {
  let seed = 15;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const sets: number[][] = [[0], [0, 1], [0, 1, 2, 3], [0, 258], [0, 259, 260], [0, 129, 130, 131], [0, 256, 512, 65535]];
  for (let t = 0; t < 300; t++) {
    const max = [4, 50, 400, 17_000, 65_536][t % 5] as number;
    const s = new Set([0]);
    for (let k = next(80); k > 0; k--) s.add(next(max));
    sets.push([...s].sort((a, b) => a - b));
  }
  return sets;
}

describe('the CIDToGIDMap stream', () => {
  it('when inflated by zlib, holds every CID’s glyph for sets from one glyph to 80 spread over 65,536 CIDs (runs of zeros of every length, subset numbers over 255)', () => {
    for (const gids of glyphSets()) expect(zlib.inflateSync(cidToGidMap(gids)).equals(expected(gids))).toBe(true);
    const many = Array.from({ length: 600 }, (_, i) => i * 7); // subset numbers up to 599: both bytes non-zero
    expect(zlib.inflateSync(cidToGidMap(many)).equals(expected(many))).toBe(true);
  });

  it('when made for a name’s glyphs from Noto Sans JP, is as small as zlib’s and maps the name’s characters to the subset’s glyphs', () => {
    const face = slipFace();
    const { gids } = subsetTtf(face, [...'長谷川　真由美ﾊｾｶﾞﾜ'].map((c) => face.gidOf(c.codePointAt(0) as number)));
    const map = cidToGidMap(gids);
    const inflated = zlib.inflateSync(map);
    expect(inflated.equals(expected(gids))).toBe(true);
    expect(inflated.readUInt16BE(2 * face.gidOf('真'.codePointAt(0) as number))).toBe(gids.indexOf(face.gidOf('真'.codePointAt(0) as number)));
    expect(map.length).toBeLessThan(zlib.deflateSync(expected(gids), { level: 1 }).length * 1.5);
  });
});
