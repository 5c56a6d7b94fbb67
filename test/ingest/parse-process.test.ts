import { describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { limits } from '../../server/config.js';
import { parseCsv } from '../../server/ingest/parse/csv.js';
import { MAX_CELLS, MAX_COLUMNS, resolveLimits } from '../../server/ingest/parse/limits.js';
import { checkPdfBudget } from '../../server/ingest/parse/pdf-budget.js';
import { readWorkbook, readWorkbookWithSheetJs } from '../../server/ingest/parse/workbook.js';
import { guardZip } from '../../server/ingest/parse/zip-guard.js';
import { parseDropInWorker } from '../../server/ingest/worker/parse-drop.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { pdfBomb } from './pdf-parts.js';
import { failure } from './worker-inputs.js';
import { buildWorkbook, sheetXml } from './xlsx-parts.js';

/**
 * Issue 12, items 1 and 2: the parse runs in a process of its own, under a
 * cap on ALL its memory (resident set, not only V8's heap), and every reader
 * refuses absurd cell counts before it holds them.
 */
const MiB = 1024 * 1024;
/** What the RSS watchdog may overshoot by between two looks (RSS_POLL_MS): stated in the report and the bench. */
const MARGIN = 64 * MiB;
const [n1, n2] = syntheticMyNumbers(2, 4242);
const table = [
  ['Name', 'My Number'],
  ['Taro Yamada', n1!],
  ['Hanako Sato', n2!],
];

let gib: Promise<Buffer> | undefined;
const pdfGibBomb = () => (gib ??= pdfBomb(table, 1 << 30));

async function parsedWithPeak(bytes: Uint8Array, opts: Parameters<typeof parseDropInWorker>[1] = {}) {
  let peak = 0;
  let proc: ChildProcess | undefined;
  const outcome = await parseDropInWorker(bytes, { ...opts, onPeakRss: (b) => (peak = b), onWorker: (p) => (proc = p) }).then(
    (r) => ({ ok: true as const, r }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  return { outcome, peak, proc };
}

describe('cells per row and in total are capped in every reader', () => {
  it('a CSV row with more cells than the column cap is refused as too big before it is held', () => {
    expect(() => parseCsv(','.repeat(MAX_COLUMNS), { maxCellChars: 10, maxRows: 10 })).toThrow('ingest.errors.tooBig');
    expect(parseCsv(','.repeat(MAX_COLUMNS - 1), { maxCellChars: 10, maxRows: 10 }).rows[0]).toHaveLength(MAX_COLUMNS);
  });

  it('a CSV with more cells in all than the total cap is refused as too big', () => {
    expect(() => parseCsv('a,b,c\n'.repeat(5), { maxCellChars: 10, maxRows: 100, maxCells: 14 })).toThrow('ingest.errors.tooBig');
    expect(parseCsv('a,b,c\n'.repeat(5), { maxCellChars: 10, maxRows: 100, maxCells: 15 }).rows).toHaveLength(5);
    expect(MAX_CELLS).toBeGreaterThanOrEqual(10_000 * 15 * 10);
  });

  it('the issue-12 CSV (one row of 52 million empty cells) is refused as too big in a moment, and the next parse works', async () => {
    const bomb = Buffer.alloc(52_000_000, 0x2c);
    const started = Date.now();
    const { outcome, peak } = await parsedWithPeak(bomb);
    expect(outcome.ok).toBe(false);
    expect((outcome as { e: { messageKey: string } }).e.messageKey).toBe('ingest.errors.tooBig');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(peak).toBeLessThan(limits.parse.maxMemoryMiB * MiB + MARGIN);
    expect((await parseDropInWorker(Buffer.from(`氏名,個人番号\n山田 太郎,${n1}\n`))).persons).toHaveLength(1);
  });

  it('a workbook with more cells than the cap is refused as too big by the fast reader and by SheetJS', async () => {
    const rows = [['氏名', '個人番号'], ...Array.from({ length: 30 }, (_, i) => [`社員${i}`, n1!])];
    const bytes = buildWorkbook({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    const tight = resolveLimits({ parse: { maxCells: 40 } });
    const { parts } = await guardZip(bytes, tight);
    expect(() => readWorkbook(bytes, tight, parts)).toThrow('ingest.errors.tooBig');
    expect(() => readWorkbookWithSheetJs(bytes, tight, parts)).toThrow('ingest.errors.tooBig');
    expect(readWorkbook(bytes, resolveLimits({ parse: { maxCells: 62 } }), parts).sheets[0]!.rows).toHaveLength(31);
  });
});

describe('a PDF has a decoded-bytes budget, counted before pdf.js runs', () => {
  it('a 1 MB PDF whose page stream inflates to 1 GiB is refused as too big, and the parse stays small', async () => {
    const bomb = await pdfGibBomb();
    expect(bomb.length).toBeLessThan(2 * MiB);
    expect(() => checkPdfBudget(bomb, resolveLimits())).toThrow('ingest.errors.tooBig');
    const { outcome, peak } = await parsedWithPeak(bomb);
    expect((outcome as { e: { code: string } }).e.code).toBe('tooBig');
    // The budget stops it long before the memory cap: well under half of it.
    expect(peak).toBeLessThan((limits.parse.maxMemoryMiB / 2) * MiB);
  });

  it('a PDF whose streams stay inside the budget is read as before', async () => {
    const pdf = await pdfBomb(table, 256 * 1024);
    expect(checkPdfBudget(pdf, resolveLimits()).decodedBytes).toBeGreaterThan(256 * 1024);
    expect((await parseDropInWorker(pdf)).persons.map((p) => p.name)).toEqual(['Taro Yamada', 'Hanako Sato']);
  });
});

describe('the memory cap counts all of the parse process, not only its heap', () => {
  it('with the PDF budget lifted, the inflate bomb grows buffers outside the heap and the process is killed at the cap', async () => {
    const bomb = await pdfGibBomb();
    const cap = 384;
    const unbudgeted = { limits: { parse: { maxMemoryMiB: cap }, unpack: { maxTotalBytes: 2 ** 40, maxRatio: 1e9 } } };
    const { outcome, peak, proc } = await parsedWithPeak(bomb, unbudgeted);
    expect((outcome as { e: { code: string; detail: string } }).e).toMatchObject({ code: 'tooBig', detail: 'parse process over its memory cap' });
    expect(proc?.signalCode).toBe('SIGKILL');
    expect(peak).toBeGreaterThan(cap * MiB);
    expect(peak).toBeLessThan(cap * MiB + MARGIN);
  });

  it('a file that exhausts the V8 heap (caps lifted) ends the parse process, never this one', async () => {
    const bomb = Buffer.alloc(52_000_000, 0x2c);
    const lifted = { limits: { parse: { maxColumns: 1e9, maxCells: 1e9 } } };
    const e = await failure(parseDropInWorker(bomb, lifted));
    expect(e.code).toBe('tooBig');
    expect(e.detail).toMatch(/memory/);
    // This process is still here and still parses.
    expect((await parseDropInWorker(Buffer.from(`氏名,個人番号\n山田 太郎,${n1}\n`))).persons).toHaveLength(1);
  });
});
