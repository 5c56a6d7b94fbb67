import fs from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

/**
 * A PDF document of kinko's year-end slips: pdfkit with the Noto Sans JP
 * font embedded (subset per document) so that any viewer shows it and
 * pdftotext reads it; fixed metadata dates, so the same data gives the same
 * bytes. The font file is read once per process. Layout only: nothing here
 * reaches data.
 */
const require = createRequire(import.meta.url);
const FONT_FILE = require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
let font: Buffer | undefined;

/** A6 landscape, in points (year-end.md §6, UNVERIFIED size); A4 portrait for the 総括表. */
export const A6_LANDSCAPE: [number, number] = [419.53, 297.64];
export const A4: [number, number] = [595.28, 841.89];

export interface SlipDoc {
  readonly doc: PDFKit.PDFDocument;
  /** Ends the document; its bytes. */
  finish(): Promise<Buffer>;
}

export function slipDoc(title: string, size: [number, number]): SlipDoc {
  const fixed = new Date('2000-01-01T00:00:00Z');
  const doc = new PDFDocument({ size, margin: 0, autoFirstPage: false, compress: true, info: { Title: title, Producer: 'kinko', Creator: 'kinko', CreationDate: fixed, ModDate: fixed } });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const ended = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  font ??= fs.readFileSync(FONT_FILE);
  doc.registerFont('jp', font);
  return {
    doc,
    finish: () => {
      doc.end();
      return ended;
    },
  };
}
