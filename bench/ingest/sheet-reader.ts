/**
 * The workbook reader alone: SheetJS (readWorkbookWithSheetJs, today's
 * path) against the fast xlsx reader (readWorkbook, which tries it first) on
 * the same zip-guarded parts of the bench roster, in one run.
 *
 *   node --import tsx bench/ingest/sheet-reader.ts [--employees 10000] [--runs 9]
 *
 * The roster is bench/ingest/workbook.ts's (CSV → .xlsx by LibreOffice). Each
 * reader's first call is reported apart (cold: its code not yet optimised),
 * then both run alternately `runs` times and the medians are compared. The
 * outputs must be deep-equal and the fast reader must not have declined,
 * else the script exits 1. For scale, LibreOffice's own xlsx → CSV
 * conversion of the file is timed once (profile already initialised).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { resolveLimits } from '../../server/ingest/parse/limits.js';
import { READ_OPTIONS } from '../../server/ingest/parse/sheetjs-parts.js';
import { readWorkbook, readWorkbookWithSheetJs } from '../../server/ingest/parse/workbook.js';
import { readXlsxFast } from '../../server/ingest/parse/xlsx-reader/index.js';
import { guardZip } from '../../server/ingest/parse/zip-guard.js';
import { csvToXlsx, makeEmployees, rosterCsv, xlsxToCsv } from './workbook.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const employees = arg('employees', 10_000);
const runs = arg('runs', 9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-sheet-reader-'));
try {
  const profile = path.join(dir, 'lo-profile');
  const csvFile = path.join(dir, 'roster.csv');
  fs.writeFileSync(csvFile, rosterCsv(makeEmployees(employees)));
  const { file } = csvToXlsx(profile, csvFile, dir);
  const bytes = fs.readFileSync(file);
  const limits = resolveLimits();
  const { parts } = await guardZip(bytes, limits);
  const sizes = parts.filter((p) => /sheet1\.xml$|sharedStrings\.xml$/.test(p.name)).map((p) => `${p.name} ${(p.data.length / 1e6).toFixed(1)} MB`);
  console.log(`kinko sheet-reader bench — node ${process.version}, ${os.cpus().length} CPU(s); ${employees} employees, ${(bytes.length / 1e6).toFixed(1)} MB xlsx (${sizes.join(', ')})`);

  const fast = readXlsxFast(parts, { ...READ_OPTIONS, type: 'buffer', sheetRows: limits.parse.maxRows + 1 });
  if ('declined' in fast) throw new Error(`the fast reader declined the roster: ${fast.declined}`);

  const time = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const coldSheetJs = time(() => readWorkbookWithSheetJs(bytes, limits, parts));
  const coldFast = time(() => readWorkbook(bytes, limits, parts));
  const ref = readWorkbookWithSheetJs(bytes, limits, parts);
  const got = readWorkbook(bytes, limits, parts);
  if (!isDeepStrictEqual(ref, got)) throw new Error('the fast reader and SheetJS disagree on the roster');
  const cells = ref.sheets.reduce((n, s) => n + s.rows.reduce((m, row) => m + Object.keys(row).length, 0), 0);

  const sheetjs: number[] = [];
  const quick: number[] = [];
  for (let i = 0; i < runs; i++) {
    sheetjs.push(time(() => readWorkbookWithSheetJs(bytes, limits, parts)));
    quick.push(time(() => readWorkbook(bytes, limits, parts)));
  }
  const office = xlsxToCsv(profile, file, dir); // first call initialises the profile
  const office2 = xlsxToCsv(profile, file, dir);

  console.log(`outputs equal: yes (${cells} text cells)`);
  console.log(`cold (first call):   SheetJS ${ms(coldSheetJs)}   fast ${ms(coldFast)}`);
  console.log(`median of ${runs}:        SheetJS ${ms(median(sheetjs))}   fast ${ms(median(quick))}   → ${(median(sheetjs) / median(quick)).toFixed(1)}× faster`);
  console.log(`  SheetJS runs: ${sheetjs.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(`  fast runs:    ${quick.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(`LibreOffice xlsx → csv of the same file: ${ms(office2.ms)} (first, profile warm-up: ${ms(office.ms)})`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
