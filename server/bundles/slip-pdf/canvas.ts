import { deflate } from './deflate.js';
import type { FontFace } from './font-face.js';

/**
 * One page's (or one template's) drawing, as PDF content operators, in the
 * top-left coordinates people measure forms in (points, y downwards). Text
 * goes to font /F1 when the document's fixed font holds every glyph of a run
 * (the labels, digits, the payer's name: the same in every slip of a build)
 * and to /F2 otherwise (names, addresses: collected here, embedded per
 * document). Every string drawn is kept in `texts`, so a caller can check
 * exactly what the page says (the 本人交付 path refuses a 12-digit run).
 */
export type Align = 'left' | 'center' | 'right';

/** Where the glyphs' top sits below the em box top, as a fraction of the size (CJK ideographs fill 0.88 em above the baseline). */
const EM_TOP = 0.88;
export const LINE = 1.25;

/** The height of `n` lines of type `size`: the last line needs no leading below it. */
const blockHeight = (n: number, size: number) => n * size * LINE - size * (LINE - 1);

const num = (v: number) => String(Math.round(v * 100) / 100);
const HEX: string[] = [];
const hex4 = (gid: number) => (HEX[gid] ??= gid.toString(16).padStart(4, '0'));

export class Canvas {
  private readonly ops: string[] = [];
  /** CID (face glyph id) → character, for glyphs not in the fixed font. */
  readonly variable = new Map<number, number>();
  readonly texts: string[] = [];

  /**
   * @param fixed the CIDs of the document's fixed font; `'all'` while drawing
   *   the template that defines it (every glyph then goes to /F1 and is
   *   listed in `variable`, from which the fixed font is made).
   */
  constructor(
    private readonly face: FontFace,
    private readonly height: number,
    private readonly fixed: ReadonlySet<number> | 'all',
  ) {}

  raw(op: string): this {
    this.ops.push(op);
    return this;
  }

  /** Draws a form XObject of the document (its ruling drawn once, placed on many pages). */
  form(name: string): this {
    return this.raw(`q /${name} Do Q`);
  }

  lineWidth(w: number): this {
    return this.raw(`${num(w)} w`);
  }

  rect(x: number, y: number, w: number, h: number): this {
    return this.raw(`${num(x)} ${num(this.height - y - h)} ${num(w)} ${num(h)} re S`);
  }

  fillRect(x: number, y: number, w: number, h: number, gray: number): this {
    return this.raw(`q ${num(gray)} g ${num(x)} ${num(this.height - y - h)} ${num(w)} ${num(h)} re f Q`);
  }

  line(x1: number, y1: number, x2: number, y2: number): this {
    return this.raw(`${num(x1)} ${num(this.height - y1)} m ${num(x2)} ${num(this.height - y2)} l S`);
  }

  width(s: string, size: number): number {
    let units = 0;
    for (const ch of s) units += this.face.advanceOf(this.face.gidOf(ch.codePointAt(0) as number));
    return (units * size) / this.face.unitsPerEm;
  }

  /** One line of text; `y` is the top of its em box. With `width`, aligned inside [x, x + width]. */
  text(s: string, x: number, y: number, size: number, align: Align = 'left', width = 0): this {
    if (s === '') return this;
    this.texts.push(s);
    return this.draw(s, x, y, size, align, width);
  }

  /**
   * Characters one per cell of width `pitch`, each centred (a 個人番号 box):
   * one text object, recorded as one string, so a check of `texts` sees the
   * whole number rather than twelve single digits.
   */
  spaced(s: string, x: number, y: number, size: number, pitch: number): this {
    if (s === '') return this;
    this.texts.push(s);
    const ops: string[] = [];
    let prev = x;
    let font = '';
    [...s].forEach((ch, i) => {
      const at = x + i * pitch + (pitch - this.width(ch, size)) / 2;
      ops.push(i === 0 ? `${num(at)} ${num(this.height - y - EM_TOP * size)} Td` : `${num(at - prev)} 0 Td`);
      prev = at;
      for (const op of this.encode(ch, size)) {
        if (op.endsWith(' Tf') && op === font) continue;
        if (op.endsWith(' Tf')) font = op;
        ops.push(op);
      }
    });
    return this.raw(`BT ${ops.join(' ')} ET`);
  }

  private encode(s: string, size: number): string[] {
    const runs: string[] = [];
    let font = '';
    let hex = '';
    for (const ch of s) {
      const cp = ch.codePointAt(0) as number;
      const gid = this.face.gidOf(cp);
      const f = this.fixed === 'all' || this.fixed.has(gid) ? 'F1' : 'F2';
      if (f === 'F2' || this.fixed === 'all') this.variable.set(gid, cp);
      if (f !== font) {
        if (hex) runs.push(`<${hex}> Tj`);
        runs.push(`/${f} ${num(size)} Tf`);
        font = f;
        hex = '';
      }
      hex += hex4(gid);
    }
    runs.push(`<${hex}> Tj`);
    return runs;
  }

  private draw(s: string, x: number, y: number, size: number, align: Align, width: number, known?: number): this {
    const w = align === 'left' ? 0 : (known ?? this.width(s, size));
    const left = align === 'left' ? x : align === 'center' ? x + (width - w) / 2 : x + width - w;
    return this.raw(`BT ${num(left)} ${num(this.height - y - EM_TOP * size)} Td ${this.encode(s, size).join(' ')} ET`);
  }

  /** Greedy line breaks by character: Japanese may break between any two characters. */
  wrap(s: string, size: number, maxWidth: number): string[] {
    const lines: string[] = [];
    let line = '';
    let w = 0;
    for (const ch of s) {
      const cw = this.width(ch, size);
      if (line && w + cw > maxWidth) {
        lines.push(line);
        line = '';
        w = 0;
      }
      line += ch;
      w += cw;
    }
    if (line) lines.push(line);
    return lines;
  }

  /**
   * Text inside a box, wrapped and shrunk from `size` until it fits: a long
   * address prints smaller rather than being cut (nothing is ever dropped).
   */
  fit(s: string, x: number, y: number, w: number, h: number, size: number, align: Align = 'left', valign: 'top' | 'middle' = 'middle'): this {
    if (s === '') return this;
    // The whole value is recorded once, before wrapping: a check of `texts` must see a run of digits that a line break splits.
    this.texts.push(s);
    const oneLine = this.width(s, size);
    if (oneLine <= w && size <= h) {
      // Most fields fit as they are: no wrapping to work out.
      const top = valign === 'top' ? y : y + (h - size) / 2;
      return this.draw(s, x, top, size, align, w, oneLine);
    }
    let sz = size;
    let lines = this.wrap(s, sz, w);
    while (sz > 2 && blockHeight(lines.length, sz) > h) {
      sz = Math.max(2, sz * 0.92);
      lines = this.wrap(s, sz, w);
    }
    const top = valign === 'top' ? y : y + Math.max(0, (h - blockHeight(lines.length, sz)) / 2);
    lines.forEach((l, i) => this.draw(l, x, top + i * sz * LINE, sz, align, w));
    return this;
  }

  /** The content stream, compressed. */
  deflated(): Buffer {
    return deflate(this.ops.join('\n'), 4);
  }
}
