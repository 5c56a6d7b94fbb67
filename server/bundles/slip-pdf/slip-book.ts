import { Canvas } from './canvas.js';
import { drawSlip, type SlipPrint } from './draw-slip.js';
import { slipFace, type FontFace } from './font-face.js';
import { writePdf } from './pdf-file.js';
import { prepareFont, type PreparedFont } from './pdf-font.js';
import { drawSlipTemplate, FAMILY_FORM, FAMILY_ROWS, familyGrid, PAGE_LABELS, SLIP_SIZE, type SlipCopy } from './slip-layout.js';

/**
 * Slips made many at a time, cheaply (bench/bundles/pdf-only.ts): what is the
 * same on every slip of a build — the template and the fixed font holding
 * its labels, the digits and the payer's name and address — is made once, a
 * person's page is drawn and compressed once, and a document is then only
 * its own small font (the people's names) and the pages copied in. A page
 * does not depend on the document it goes into (the fonts' CIDs are the
 * face's glyph ids), so one page serves an individual PDF and the combined
 * one alike.
 */
export interface SlipBook {
  readonly face: FontFace;
  readonly fixed: PreparedFont;
  readonly template: Buffer;
  /** The usual family grid, a form of its own: a person with more dependants draws a bigger one instead. */
  readonly familyGrid: Buffer;
}

export interface SlipPage {
  readonly content: Buffer;
  /** Glyphs the page draws that the fixed font lacks: CID → character. */
  readonly glyphs: ReadonlyMap<number, number>;
  /** Every string the page prints, each field whole. */
  readonly texts: readonly string[];
}

/** @param fixedText what every slip of the build prints besides the labels (the payer's name, address, phone). */
export function slipBook(nenbun: number, copy: SlipCopy, fixedText: string): SlipBook {
  const face = slipFace();
  const template = new Canvas(face, SLIP_SIZE[1], 'all');
  drawSlipTemplate(template, nenbun, copy);
  const grid = new Canvas(face, SLIP_SIZE[1], 'all');
  grid.lineWidth(0.4);
  familyGrid(grid, FAMILY_ROWS, 0);
  const chars = new Map([...template.variable, ...grid.variable]);
  for (const ch of PAGE_LABELS + fixedText) {
    const cp = ch.codePointAt(0) as number;
    chars.set(face.gidOf(cp), cp);
  }
  return { face, fixed: prepareFont(face, chars, 'KINKOA', true), template: template.deflated(), familyGrid: grid.deflated() };
}

export function slipPage(book: SlipBook, print: SlipPrint): SlipPage {
  const c = new Canvas(book.face, SLIP_SIZE[1], book.fixed.cids);
  drawSlip(c, print);
  return { content: c.deflated(), glyphs: c.variable, texts: c.texts };
}

/** The glyphs of many pages, gathered as they are drawn: a page's own list can then be dropped (10,000 pages would keep 10,000 maps). */
export function gatherGlyphs(into: Map<number, number>, page: SlipPage): void {
  for (const [cid, cp] of page.glyphs) into.set(cid, cp);
}

/** A document of already drawn pages; `glyphs` are theirs (gatherGlyphs), which its own font is made of. */
export function slipPdf(book: SlipBook, pages: readonly Buffer[], glyphs: ReadonlyMap<number, number>, title: string): Buffer {
  const own = glyphs.size ? prepareFont(book.face, glyphs, 'KINKOB', false) : undefined;
  return writePdf({ size: SLIP_SIZE, pages, fonts: { F1: book.fixed, F2: own }, template: book.template, forms: { [FAMILY_FORM]: book.familyGrid }, title });
}

/**
 * The characters at least `share` of the slips print (東京都, 市, the common
 * surnames, full-width digits …). Moved into the fixed font, each costs every
 * individual PDF its outline once but saves it in the more than half that
 * would each have carried it in their own font: smaller in total, and less
 * to subset per document.
 */
export function commonText(texts: readonly string[], share = 0.5): string {
  const docs = new Map<string, number>();
  for (const t of texts) for (const ch of new Set(t)) docs.set(ch, (docs.get(ch) ?? 0) + 1);
  return [...docs].filter(([, n]) => n >= texts.length * share).map(([ch]) => ch).join('');
}

/** Lets other requests run between batches of pages: a 10,000-slip build would otherwise hold the event loop for seconds. */
export async function breathe(i: number, every = 200): Promise<void> {
  if (i > 0 && i % every === 0) await new Promise<void>((resolve) => setImmediate(resolve));
}
