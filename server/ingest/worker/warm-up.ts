import * as XLSX from '@e965/xlsx';
import { checkDigit } from '../../mynumber/check-digit.js';
import { parseBytes, type ParseDeps } from '../parse/parse-bytes.js';
import type { ParseLimits } from '../parse/types.js';
import { packResult } from './pack.js';

/**
 * What a spare parse worker does while it waits (pool.ts): it reads a
 * synthetic roster — made up here, numbers with valid check digits from a
 * fixed sequence, nothing from any drop — through the same code a real file
 * takes (zip guard, SheetJS, extraction; and the CSV reader), so that code
 * is compiled before a real file arrives. The result is thrown away.
 * Nothing carries over to the real file: SheetJS resets its number-format
 * table at every read (parse_zip → make_ssf), and extraction keeps no state.
 */
/**
 * A roster about the size of a real one, read twice: V8 optimises the hot
 * paths (SheetJS's sheet reader, extraction) only after many calls, and a
 * 60-row roster left the real file to run mostly unoptimised — about 0.1–0.2 s
 * slower on bench/ingest's 10,000-employee workbook. Costs the spare ~40 MiB
 * while it waits (pool.ts ends an idle spare after SPARE_IDLE_MS).
 */
const ROWS = 2000;
const READS = 2;
const LIMITS: ParseLimits = {
  maxBytes: 16 << 20,
  parse: { maxMillis: 10_000, maxMemoryMiB: 256, maxCellChars: 1000, maxRows: 10_000, maxColumns: 1000, maxCells: 200_000 },
  unpack: { maxTotalBytes: 64 << 20, maxEntries: 100, maxRatio: 100 },
};

function syntheticNumber(i: number): string {
  const first11 = String(10_000_000_000 + ((i * 7_919_393) % 89_999_999_999));
  return first11 + checkDigit(first11);
}

function roster(): unknown[][] {
  const head = ['社員番号', '氏名', 'フリガナ', '所属', '個人番号', '配偶者氏名', '配偶者の個人番号', '扶養親族1 氏名', '扶養親族1 個人番号', '扶養親族2 氏名', '扶養親族2 個人番号'];
  const rows: unknown[][] = [['従業員名簿'], [], head];
  for (let i = 0; i < ROWS; i++) {
    const n = syntheticNumber(i * 5);
    const shown = i % 4 === 0 ? `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}` : i % 4 === 1 ? Number(n) : n;
    const spouse = i % 3 === 0 ? ['見本 花子', syntheticNumber(i * 5 + 1)] : ['', ''];
    const child = i % 2 === 0 ? [`見本 一郎${i}`, syntheticNumber(i * 5 + 2)] : ['', ''];
    const other = i % 5 === 0 ? [`見本 次郎${i}`, `${syntheticNumber(i * 5 + 3)}0`] : ['', ''];
    rows.push([`E${String(i).padStart(6, '0')}`, `見本 太郎${i}`, 'ミホン タロウ', '総務部', shown, ...spouse, ...child, ...other]);
  }
  rows.push(['', '合計', '', '', ROWS]);
  return rows;
}

export async function warmUp(deps: ParseDeps): Promise<void> {
  const rows = roster();
  const sheet = XLSX.utils.aoa_to_sheet(rows);
  // Text-formatted number and code columns, as a roster imported as text has them (cells with a style).
  for (const ref of Object.keys(sheet)) if (/^[AEGIK]\d+$/.test(ref)) (sheet[ref] as XLSX.CellObject).z = '@';
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, sheet, '名簿');
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['メモ'], ['見本']]), 'メモ');
  // Shared strings, as Excel and LibreOffice write them.
  const xlsx = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', bookSST: true }) as Buffer;
  for (let i = 0; i < READS; i++) packResult(await parseBytes(xlsx, LIMITS, {}, deps));
  const csv = rows.map((r) => r.map((c) => String(c ?? '')).join(',')).join('\r\n');
  await parseBytes(Buffer.from(csv), LIMITS, {}, deps);
}
