import type { FontFace } from './font-face.js';

/**
 * A TrueType subset holding only the glyphs a PDF draws, in the tables a PDF
 * viewer reads for an embedded CIDFontType2 (ISO 32000-1 §9.9: glyf, loca,
 * head, hhea, hmtx, maxp, and the hinting tables when present) — no cmap,
 * since the PDF maps its codes to glyphs itself. Outlines are copied byte for
 * byte from the face; only composite glyphs' component numbers are rewritten.
 * Written by hand rather than through a general font library because it runs
 * once per individual 本人交付 PDF (10,000 in one build) and must cost
 * microseconds, not milliseconds.
 */
const ARG_WORDS = 0x0001;
const HAVE_SCALE = 0x0008;
const MORE = 0x0020;
const XY_SCALE = 0x0040;
const TWO_BY_TWO = 0x0080;

interface Glyphs {
  readonly face: FontFace;
  readonly glyf: number;
  readonly loca: number;
  readonly longLoca: boolean;
}

function glyphSpan(g: Glyphs, gid: number): [number, number] {
  const b = g.face.bytes;
  if (g.longLoca) return [b.readUInt32BE(g.loca + 4 * gid), b.readUInt32BE(g.loca + 4 * gid + 4)];
  return [b.readUInt16BE(g.loca + 2 * gid) * 2, b.readUInt16BE(g.loca + 2 * gid + 2) * 2];
}

/** Offsets (inside the glyph) of each component's glyph index, for a composite glyph. */
function componentSlots(b: Buffer, start: number, end: number): number[] {
  if (end - start < 10 || b.readInt16BE(start) >= 0) return [];
  const slots: number[] = [];
  let at = start + 10;
  for (;;) {
    const flags = b.readUInt16BE(at);
    slots.push(at + 2 - start);
    at += 4 + (flags & ARG_WORDS ? 4 : 2);
    if (flags & HAVE_SCALE) at += 2;
    else if (flags & XY_SCALE) at += 4;
    else if (flags & TWO_BY_TWO) at += 8;
    if (!(flags & MORE)) return slots;
  }
}

/** The requested glyphs, .notdef and every component they use, ascending. */
function closed(g: Glyphs, wanted: Iterable<number>): number[] {
  const all = new Set<number>([0, ...wanted]);
  const queue = [...all];
  while (queue.length) {
    const gid = queue.pop() as number;
    const [s, e] = glyphSpan(g, gid);
    for (const slot of componentSlots(g.face.bytes, g.glyf + s, g.glyf + e)) {
      const c = g.face.bytes.readUInt16BE(g.glyf + s + slot);
      if (!all.has(c)) {
        all.add(c);
        queue.push(c);
      }
    }
  }
  return [...all].sort((a, b) => a - b);
}

function checksum(t: Buffer): number {
  let sum = 0;
  for (let i = 0; i < t.length; i += 4) sum = (sum + t.readUInt32BE(i)) >>> 0;
  return sum;
}

const pad4 = (b: Buffer) => (b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b);

function copyTable(face: FontFace, tag: string): Buffer | undefined {
  const t = face.tables.get(tag);
  return t ? Buffer.from(face.bytes.subarray(t.offset, t.offset + t.length)) : undefined;
}

function glyfAndLoca(g: Glyphs, gids: readonly number[]): { glyf: Buffer; loca: Buffer } {
  const newId = new Map(gids.map((gid, i) => [gid, i]));
  const spans = gids.map((gid) => glyphSpan(g, gid));
  // One buffer for all glyphs, each padded to 4 bytes (the OpenType spec's advice for long loca).
  const glyf = Buffer.alloc(spans.reduce((n, [s, e]) => n + ((e - s + 3) & ~3), 0));
  const loca = Buffer.alloc(4 * (gids.length + 1));
  let offset = 0;
  spans.forEach(([s, e], i) => {
    loca.writeUInt32BE(offset, 4 * i);
    g.face.bytes.copy(glyf, offset, g.glyf + s, g.glyf + e);
    for (const slot of componentSlots(g.face.bytes, g.glyf + s, g.glyf + e)) glyf.writeUInt16BE(newId.get(glyf.readUInt16BE(offset + slot)) ?? 0, offset + slot);
    offset += (e - s + 3) & ~3;
  });
  loca.writeUInt32BE(offset, 4 * gids.length);
  return { glyf, loca };
}

function hmtxOf(face: FontFace, gids: readonly number[]): Buffer {
  const b = face.bytes;
  const hmtx = face.tables.get('hmtx')?.offset ?? 0;
  const numH = b.readUInt16BE((face.tables.get('hhea')?.offset ?? 0) + 34);
  const out = Buffer.alloc(4 * gids.length);
  gids.forEach((gid, i) => {
    out.writeUInt16BE(face.advanceOf(gid), 4 * i);
    const lsb = gid < numH ? b.readInt16BE(hmtx + 4 * gid + 2) : b.readInt16BE(hmtx + 4 * numH + 2 * (gid - numH));
    out.writeInt16BE(lsb, 4 * i + 2);
  });
  return out;
}

function sfnt(tables: Map<string, Buffer>): Buffer {
  const tags = [...tables.keys()].sort();
  const n = tags.length;
  const pow = 2 ** Math.floor(Math.log2(n));
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(pow * 16, 6);
  header.writeUInt16BE(Math.log2(pow), 8);
  header.writeUInt16BE(n * 16 - pow * 16, 10);
  let offset = header.length;
  const bodies: Buffer[] = [];
  let total = 0;
  tags.forEach((tag, i) => {
    const raw = tables.get(tag) as Buffer;
    const body = pad4(raw);
    const sum = checksum(body);
    const at = 12 + 16 * i;
    header.write(tag, at, 'latin1');
    header.writeUInt32BE(sum, at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(raw.length, at + 12);
    bodies.push(body);
    total = (total + sum) >>> 0;
    offset += body.length;
  });
  // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA (OpenType spec); the
  // tables are 4-byte aligned, so the file's sum is the directory's plus the tables'.
  const headBody = bodies[tags.indexOf('head')] as Buffer;
  headBody.writeUInt32BE((0xb1b0afba - ((checksum(header) + total) >>> 0)) >>> 0, 8);
  return Buffer.concat([header, ...bodies]);
}

/**
 * @returns the font file and the old → new glyph numbers (the PDF's
 *   CIDToGIDMap is built from it: kinko's CIDs are the face's glyph ids).
 */
export function subsetTtf(face: FontFace, wanted: Iterable<number>): { file: Buffer; gids: readonly number[] } {
  const head = face.tables.get('head')?.offset ?? 0;
  const g: Glyphs = { face, glyf: face.tables.get('glyf')?.offset ?? 0, loca: face.tables.get('loca')?.offset ?? 0, longLoca: face.bytes.readInt16BE(head + 50) === 1 };
  const gids = closed(g, wanted);
  const { glyf, loca } = glyfAndLoca(g, gids);
  const headT = copyTable(face, 'head') as Buffer;
  headT.writeUInt32BE(0, 8);
  headT.writeInt16BE(1, 50); // long loca
  const hhea = copyTable(face, 'hhea') as Buffer;
  hhea.writeUInt16BE(gids.length, 34);
  const maxp = copyTable(face, 'maxp') as Buffer;
  maxp.writeUInt16BE(gids.length, 4);
  const tables = new Map<string, Buffer>([['head', headT], ['hhea', hhea], ['maxp', maxp], ['hmtx', hmtxOf(face, gids)], ['loca', loca], ['glyf', glyf]]);
  for (const tag of ['cvt ', 'fpgm', 'prep']) {
    const t = copyTable(face, tag);
    if (t) tables.set(tag, t);
  }
  return { file: sfnt(tables), gids };
}
