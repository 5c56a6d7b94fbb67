import { pdfBomb } from '../ingest/pdf-parts.js';
import { sheetXml, workbookEntries } from '../ingest/xlsx-parts.js';
import { buildZip, deflatedZeros } from '../ingest/zip-writer.js';
import { syntheticMyNumbers } from './mynumber.js';

/**
 * The files of issue 12's attacks, made here (never stored), for the
 * hostile-input suite over HTTP and bench/hostile. Numbers are synthetic.
 */
const MiB = 1024 * 1024;

/** Item 1: a 52 MB CSV of one row with 52 million empty cells. */
export function csvCellBomb(bytes = 52_000_000): Buffer {
  return Buffer.alloc(bytes, 0x2c);
}

/** Item 2: a ≈ 1 MB PDF whose page stream inflates to `inflated` bytes (1 GiB by default). */
export function pdfInflateBomb(inflated = 1024 * MiB): Promise<Buffer> {
  const [n] = syntheticMyNumbers(1, 1212);
  return pdfBomb([['Name', 'My Number'], ['Taro Yamada', n!]], inflated);
}

/** An xlsx (a zip) with one entry that inflates to `inflated` bytes of zeros. */
export async function xlsxZipBomb(inflated = 1024 * MiB): Promise<Buffer> {
  const [n] = syntheticMyNumbers(1, 1313);
  const sheet = sheetXml([['氏名', '個人番号'], ['山田 太郎', n!]]);
  return buildZip([...workbookEntries({ sheets: [{ name: 'S', xml: sheet }] }), { name: 'xl/media/zeros.bin', deflated: await deflatedZeros(inflated) }]);
}

/** A readable roster CSV of about `bytes` (a long remarks column pads each row), with its persons' count. */
export function bigRosterCsv(bytes: number, seed = 5050): { csv: Buffer; persons: number } {
  const rowBytes = 600;
  const rows = Math.min(95_000, Math.max(1, Math.floor(bytes / rowBytes)));
  const numbers = syntheticMyNumbers(rows, seed);
  const pad = 'x'.repeat(Math.max(1, Math.ceil(bytes / rows) - 60));
  const lines = ['社員番号,氏名,個人番号,備考'];
  numbers.forEach((n, i) => lines.push(`E${String(i).padStart(6, '0')},社員 ${i},${n},${pad}`));
  return { csv: Buffer.from(lines.join('\r\n') + '\r\n'), persons: rows };
}
