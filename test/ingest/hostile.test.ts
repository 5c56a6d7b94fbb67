import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { ParseError, type ParseErrorCode } from '../../server/ingest/parse/errors.js';
import type { ParseOptions } from '../../server/ingest/parse/types.js';
import { parseDropInWorker } from '../../server/ingest/worker/parse-drop.js';
import { limits } from '../../server/config.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { hostilePdf } from './pdf-parts.js';
import { buildWorkbook, sheetXml, workbookEntries } from './xlsx-parts.js';
import { buildZip, deflatedZeros } from './zip-writer.js';

/**
 * P8: hostile files are refused with a message a person understands, the
 * worker that read them is gone afterwards, and the main thread keeps
 * answering all the while.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const [n1, n2, n3] = syntheticMyNumbers(3, 77);
const table = [
  ['氏名', '個人番号'],
  ['山田 太郎', n1!],
  ['佐藤 花子', n2!],
];

/** Parses in the worker and reports the error key plus whether the worker thread ended. */
async function refuse(bytes: Uint8Array, opts: ParseOptions = {}): Promise<{ key: string; code: ParseErrorCode; workerEnded: boolean }> {
  let worker: ChildProcess | undefined;
  let ended = false;
  const err = await parseDropInWorker(bytes, {
    ...opts,
    onWorker: (w) => {
      worker = w;
      w.once('exit', () => (ended = true));
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParseError);
  expect(worker).toBeDefined();
  return { key: (err as ParseError).messageKey, code: (err as ParseError).code, workerEnded: ended };
}

let bombPayload: Promise<{ bytes: Buffer; crc: number; size: number }> | undefined;
const oneGigOfZeros = () => (bombPayload ??= deflatedZeros(1 << 30));

describe('zip guard (xlsx is a zip)', () => {
  it('a zip bomb (one entry, 1 GB of zeros) is refused as too big, counted while inflating', async () => {
    const zip = buildZip([...workbookEntries({ sheets: [{ name: 'S', xml: sheetXml(table) }] }), { name: 'xl/media/zeros.bin', deflated: await oneGigOfZeros() }]);
    expect(zip.length).toBeLessThan(8 << 20);
    const r = await refuse(zip);
    expect(r).toEqual({ key: 'ingest.errors.tooBig', code: 'tooBig', workerEnded: true });
  });

  it('a bomb that declares a small size is refused too: declared sizes are not trusted', async () => {
    const zip = buildZip([...workbookEntries({ sheets: [{ name: 'S', xml: sheetXml(table) }] }), { name: 'xl/media/zeros.bin', deflated: await oneGigOfZeros(), declaredSize: 1000 }]);
    expect((await refuse(zip)).code).toBe('tooBig');
  });

  it(`more than ${limits.unpack.maxEntries} entries is refused`, async () => {
    const extra = Array.from({ length: limits.unpack.maxEntries }, (_, i) => ({ name: `xl/media/e${i}.txt`, data: Buffer.from('x') }));
    expect((await refuse(buildWorkbook({ sheets: [{ name: 'S', xml: sheetXml(table) }], extra }))).code).toBe('tooBig');
  });

  it('the total inflated size is capped even when each entry compresses modestly', async () => {
    const noise = Buffer.from(Array.from({ length: 300_000 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(i * 7919 + (i >> 3)) % 36]!).join(''));
    const extra = [0, 1, 2].map((i) => ({ name: `xl/media/n${i}.txt`, data: noise }));
    const r = await refuse(buildWorkbook({ sheets: [{ name: 'S', xml: sheetXml(table) }], extra }), { limits: { unpack: { maxTotalBytes: 600_000 } } });
    expect(r.code).toBe('tooBig');
  });

  it('a shared-strings bomb (millions of strings, absurd counts) is refused', async () => {
    const sst = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2147483647" uniqueCount="2147483647">${'<si><t>x</t></si>'.repeat(3_000_000)}</sst>`;
    const r = await refuse(buildWorkbook({ sheets: [{ name: 'S', xml: sheetXml(table) }], sharedStrings: sst }));
    expect(r).toEqual({ key: 'ingest.errors.tooBig', code: 'tooBig', workerEnded: true });
  });

  it('an XML external entity is refused, never resolved', async () => {
    const xml = sheetXml([['氏名', '個人番号'], ['&xxe;', n1!]], {
      before: '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
    }).replace('&amp;xxe;', '&xxe;');
    expect(await refuse(buildWorkbook({ sheets: [{ name: 'S', xml }] }))).toEqual({ key: 'ingest.errors.unsafe', code: 'unsafe', workerEnded: true });
  });

  it('a billion-laughs entity expansion is refused', async () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const before = `<?xml version="1.0"?>\n<!DOCTYPE s [<!ENTITY l0 "lol">${lol}]>\n`;
    const xml = sheetXml([['氏名', '個人番号'], ['&l9;', n1!]], { before }).replace('&amp;l9;', '&l9;');
    expect((await refuse(buildWorkbook({ sheets: [{ name: 'S', xml }] }))).code).toBe('unsafe');
  });

  it('nested archives, ../ names, absolute names and symlinks are refused as unsafe', async () => {
    const base = { sheets: [{ name: 'S', xml: sheetXml(table) }] };
    const cases = [
      [{ name: 'xl/embeddings/inner.zip', data: buildZip([{ name: 'a.txt', data: Buffer.from('a') }]) }],
      [{ name: 'xl/embeddings/oleObject1.bin', data: buildZip([{ name: 'a.txt', data: Buffer.from('a') }]) }],
      [{ name: '../../etc/cron.d/evil', data: Buffer.from('x') }],
      [{ name: '/etc/passwd', data: Buffer.from('x') }],
      [{ name: 'xl/link', data: Buffer.from('/etc/passwd'), method: 0 as const, madeBy: 0x031e, externalAttr: (0o120777 << 16) >>> 0 }],
    ];
    for (const extra of cases) expect((await refuse(buildWorkbook({ ...base, extra }))).code).toBe('unsafe');
  });

  it('an encrypted zip entry is reported as password-protected', async () => {
    const entries = workbookEntries({ sheets: [{ name: 'S', xml: sheetXml(table) }] });
    entries[4] = { ...entries[4]!, flags: 0x1 };
    expect((await refuse(buildZip(entries))).code).toBe('encrypted');
  });

  it('a zip that is not a workbook (docx, plain zip) is unsupported', async () => {
    expect((await refuse(buildZip([{ name: 'word/document.xml', data: Buffer.from('<w:document/>') }]))).code).toBe('unsupported');
  });
});

describe('hostile spreadsheets', () => {
  it('a huge cell reference (XFD1048576) is refused without allocating the range', async () => {
    const xml = sheetXml(table, { dimension: 'A1:XFD1048576', extraCells: '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>' });
    expect(await refuse(buildWorkbook({ sheets: [{ name: 'S', xml }] }))).toEqual({ key: 'ingest.errors.tooManyRows', code: 'tooManyRows', workerEnded: true });
  });

  it('a row past the limit is refused however its reference is written: single quotes, spaces around =, a very long number', async () => {
    for (const extra of [
      "<row r='1048576'><c r='A1048576' t='inlineStr'><is><t>far</t></is></c></row>",
      '<row r = "1048576"><c r = "A1048576" t="inlineStr"><is><t>far</t></is></c></row>',
      '<row r="99999999999999999999"><c r="A99999999999999999999" t="inlineStr"><is><t>far</t></is></c></row>',
    ]) {
      const xml = sheetXml(table, { extraCells: extra });
      expect(await refuse(buildWorkbook({ sheets: [{ name: 'S', xml }] }))).toEqual({ key: 'ingest.errors.tooManyRows', code: 'tooManyRows', workerEnded: true });
    }
  });

  it('a dimension claiming A1:XFD1048576 over three real rows costs nothing: the real rows are read', async () => {
    const xml = sheetXml(table, { dimension: 'A1:XFD1048576' });
    const result = await parseDropInWorker(buildWorkbook({ sheets: [{ name: 'S', xml }] }));
    expect(result.persons.map((p) => p.name)).toEqual(['山田 太郎', '佐藤 花子']);
  });

  it('__proto__ / constructor sheet names and header cells pollute nothing and are read as plain text', async () => {
    const rows = [
      ['氏名', '個人番号', '__proto__', 'constructor', 'prototype'],
      ['__proto__', n1!, '{"polluted":"yes"}', 'polluted', 'x'],
      ['山田 太郎', n2!, 'polluted', '__proto__', 'y'],
    ];
    const wb = buildWorkbook({
      sheets: [
        { name: '__proto__', xml: sheetXml(rows) },
        { name: 'constructor', xml: sheetXml([['氏名', '個人番号'], ['佐藤 花子', n3!]]) },
      ],
    });
    const result = await parseDropInWorker(wb);
    expect(result.persons.map((p) => [p.sheet, p.name])).toEqual([
      ['__proto__', '__proto__'],
      ['__proto__', '山田 太郎'],
      ['constructor', '佐藤 花子'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // The same file parsed in this very thread (no worker isolation to hide behind).
    const { parseBytes } = await import('../../server/ingest/parse/parse-bytes.js');
    const { resolveLimits } = await import('../../server/ingest/parse/limits.js');
    await parseBytes(wb, resolveLimits());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('ReDoS-shaped long strings (CSV cell and header of a million characters) finish quickly', async () => {
    const long = '1-'.repeat(500_000);
    const csv = Buffer.from(`氏名,個人番号,${'a '.repeat(100_000)}\n山田 太郎,${long}x,${'('.repeat(200_000)}\n佐藤 花子,${n1},\n`);
    const started = Date.now();
    const result = await parseDropInWorker(csv);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Cut at the cell limit, the cell is a run of digits and hyphens far over 12 digits.
    expect(result.review.map((r) => [r.name, r.reason])).toEqual([['山田 太郎', 'wrong-length']]);
    expect(result.persons.map((p) => p.name)).toEqual(['佐藤 花子']);
    expect(result.warnings).toContainEqual({ key: 'ingest.warnings.cellTruncated', count: 3 });
  });

  it('a long shared string in a workbook is capped at the cell limit', async () => {
    const xml = sheetXml([['氏名', '個人番号', '備考'], ['山田 太郎', n1!, 'x'.repeat(limits.parse.maxCellChars + 10)]]);
    const result = await parseDropInWorker(buildWorkbook({ sheets: [{ name: 'S', xml }] }));
    expect(result.persons).toHaveLength(1);
    expect(result.warnings).toContainEqual({ key: 'ingest.warnings.cellTruncated', count: 1 });
  });
});

describe('hostile and broken PDFs, corrupt and encrypted files', () => {
  it('a PDF with document JavaScript and a broken xref is read for its text; the script never runs', async () => {
    const dashed = `${n1!.slice(0, 4)}-${n1!.slice(4, 8)}-${n1!.slice(8)}`;
    const pdf = hostilePdf([['Name', 'My Number'], ['Taro Yamada', dashed]], {
      javascript: 'globalThis.polluted = 1; app.alert("x"); this.submitForm("http://127.0.0.1:9/");',
      brokenXref: true,
    });
    const result = await parseDropInWorker(pdf);
    expect(result.persons.map((p) => p.name)).toEqual(['Taro Yamada']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((globalThis as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a PDF with JavaScript and no table is refused as having no My Number column', async () => {
    const pdf = hostilePdf([['Invoice'], ['Total 1000']], { javascript: 'app.alert(1)', brokenXref: true });
    expect((await refuse(pdf)).code).toBe('noMyNumberColumn');
  });

  it('corrupt files: a truncated workbook or PDF is corrupt, random bytes are unsupported', async () => {
    const xlsx = fs.readFileSync(path.join(here, '../fixtures/ingest/dependents.xlsx'));
    expect((await refuse(xlsx.subarray(0, xlsx.length >> 1))).code).toBe('corrupt');
    const pdf = fs.readFileSync(path.join(here, '../fixtures/ingest/table.pdf'));
    expect((await refuse(pdf.subarray(0, 4000))).code).toBe('corrupt');
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff));
    expect((await refuse(noise)).code).toBe('unsupported');
    expect((await refuse(Buffer.from('%PDF-1.7\n'))).code).toBe('corrupt');
  });

  it('a password-protected xlsx or PDF is reported as such', async () => {
    for (const f of ['encrypted.xlsx', 'encrypted.pdf']) {
      expect(await refuse(fs.readFileSync(path.join(here, '../fixtures/ingest', f)))).toEqual({ key: 'ingest.errors.encrypted', code: 'encrypted', workerEnded: true });
    }
  });
});

describe('the main thread keeps answering while hostile files are parsed', () => {
  it('event-loop delay stays under 200 ms at p99 during a bomb, a big CSV and a PDF in parallel', async () => {
    const bomb = buildZip([...workbookEntries({ sheets: [{ name: 'S', xml: sheetXml(table) }] }), { name: 'xl/media/zeros.bin', deflated: await oneGigOfZeros() }]);
    const lines = ['氏名,個人番号'];
    const many = syntheticMyNumbers(60_000, 5);
    many.forEach((n, i) => lines.push(`社員${i},${n}`));
    const csv = Buffer.from(lines.join('\r\n'));
    const pdf = fs.readFileSync(path.join(here, '../fixtures/ingest/table.pdf'));
    const xxe = buildWorkbook({ sheets: [{ name: 'S', xml: sheetXml(table, { before: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' }) }] });

    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const outcomes = await Promise.allSettled([parseDropInWorker(bomb), parseDropInWorker(csv), parseDropInWorker(pdf), parseDropInWorker(xxe)]);
    h.disable();
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as ParseError).code))).toEqual(['tooBig', 'ok', 'ok', 'unsafe']);
    const csvResult = outcomes[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof parseDropInWorker>>>;
    expect(csvResult.value.persons).toHaveLength(60_000);
    expect(h.percentile(99) / 1e6).toBeLessThan(200);
  });
});
