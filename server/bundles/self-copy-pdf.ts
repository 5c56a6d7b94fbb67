import { eraName } from './layout/eras.js';
import { digitRunOf12, type SelfCopy, type SelfCopyPerson } from './self-copy.js';
import { printedText, type SlipPerson, type SlipPrint } from './slip-pdf/draw-slip.js';
import { breathe, commonText, gatherGlyphs, slipBook, slipPage, slipPdf, type SlipPage } from './slip-pdf/slip-book.js';

/**
 * The 受給者交付用 源泉徴収票 as PDFs (issue 15 §3; year-end.md §1, §7 rule 2):
 * one per employee, for electronic delivery, and one combined for printing.
 * Every number box prints empty and the payer's 法人番号 box too. This path
 * is built from SelfCopy (which never held a number) and the number-free
 * slip drawer only; the dependency-cruiser rule `self-copy-reaches-no-numbers`
 * covers this file by its name, so an import that could reach the vault, the
 * readers or the number-filling writer fails the build. And it still looks
 * at what it is about to hand out: a page any of whose printed strings holds
 * a run of 12 digits (a number typed into 摘要 or a name, or one a later
 * change let through) stops the whole batch rather than be printed.
 */
export interface SelfCopyPdfOptions {
  /** The 年分 every copy must have: a batch mixing years is a caller's mistake. */
  readonly nenbun: number;
}

export interface SelfCopyPdf {
  readonly line: number;
  readonly employeeCode: string;
  readonly name: string;
  readonly bytes: Buffer;
}

export interface SelfCopyPdfs {
  readonly combined: Buffer;
  /** In the order of the copies given. */
  readonly each: SelfCopyPdf[];
}

/** Nothing printed in a number box: the 本人交付 copy has no number of anyone (所得税法施行規則, NTA FAQ Q1-1). */
const NO_NUMBER = '';

const person = (p: SelfCopyPerson): SlipPerson => ({ furigana: p.furigana, name: p.name, kubun: p.kubun, number: NO_NUMBER });

function printOf(c: SelfCopy): SlipPrint {
  return {
    payee: { address: c.payee.address, employeeCode: c.payee.employeeCode, number: NO_NUMBER, title: c.payee.title, name: c.payee.name, furigana: c.payee.furigana },
    amounts: c.amounts,
    tekiyo: c.tekiyo,
    spouse: c.spouse ? person(c.spouse) : undefined,
    dependents: c.dependents.map(person),
    under16: c.under16.map(person),
    midYear: c.midYear,
    birth: c.birth ? { ...c.birth, era: eraName(c.birth.era) } : undefined,
    payer: { number: NO_NUMBER, address: c.payer.address, name: c.payer.name, phone: c.payer.phone },
  };
}

/** The last look before anything leaves: names the line only, never what it found. */
function refuseDigitRuns(c: SelfCopy, page: SlipPage): void {
  if (page.texts.some(digitRunOf12)) throw new Error(`本人交付: line ${c.line} would print a run of 12 digits; nothing was made`);
}

export type SelfCopyPiece = { readonly kind: 'each'; readonly pdf: SelfCopyPdf } | { readonly kind: 'combined'; readonly bytes: Buffer };

function checkBatch(copies: readonly SelfCopy[], opts: SelfCopyPdfOptions): void {
  if (copies.length === 0) throw new Error('本人交付: no copies');
  const other = copies.find((c) => c.nenbun !== opts.nenbun);
  if (other) throw new Error(`本人交付: line ${other.line} is 令和${other.nenbun}年分, not 令和${opts.nenbun}年分`);
}

/**
 * The same PDFs one at a time, for a caller that streams them into the zip
 * instead of holding 10,000 of them (≈ 30 KiB each) at once: every page is
 * drawn and checked before the first PDF is yielded, so a refusal still
 * stops the batch before anything is handed out. Each employee's PDF comes
 * in the copies' order, then the combined one.
 */
export async function* selfCopyPdfPieces(copies: readonly SelfCopy[], opts: SelfCopyPdfOptions): AsyncGenerator<SelfCopyPiece> {
  checkBatch(copies, opts);
  const prints = copies.map(printOf);
  const book = slipBook(opts.nenbun, 'self', commonText(prints.map(printedText)));
  const title = `令和${opts.nenbun}年分 給与所得の源泉徴収票（受給者交付用）`;
  const pages: SlipPage[] = [];
  const all = new Map<number, number>();
  for (const [i, c] of copies.entries()) {
    await breathe(i);
    const page = slipPage(book, prints[i] as SlipPrint);
    refuseDigitRuns(c, page);
    gatherGlyphs(all, page);
    pages.push({ content: page.content, glyphs: page.glyphs, texts: [] });
  }
  for (const [i, c] of copies.entries()) {
    await breathe(i);
    const page = pages[i] as SlipPage;
    yield { kind: 'each', pdf: { line: c.line, employeeCode: c.payee.employeeCode, name: c.payee.name, bytes: slipPdf(book, [page.content], page.glyphs, `${title} ${c.payee.name}`) } };
  }
  yield { kind: 'combined', bytes: slipPdf(book, pages.map((p) => p.content), all, title) };
}

export async function selfCopyPdfs(copies: readonly SelfCopy[], opts: SelfCopyPdfOptions): Promise<SelfCopyPdfs> {
  const each: SelfCopyPdf[] = [];
  let combined: Buffer | undefined;
  for await (const piece of selfCopyPdfPieces(copies, opts)) {
    if (piece.kind === 'each') each.push(piece.pdf);
    else combined = piece.bytes;
  }
  return { combined: combined as Buffer, each };
}
