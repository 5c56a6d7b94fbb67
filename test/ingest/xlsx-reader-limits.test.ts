import { describe, expect, it } from '@jest/globals';
import { resolveLimits } from '../../server/ingest/parse/limits.js';
import { readWorkbook } from '../../server/ingest/parse/workbook.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { sheetXml } from './xlsx-parts.js';
import { bothWays, handParts, rawSheet } from './xlsx-samples.js';

/**
 * The fast xlsx reader keeps today's limits exactly: the row cap (SheetJS
 * reads maxRows + 1 rows and the file is refused when there are more than
 * maxRows), the cell-text cap with its count, and far-away references that
 * cost nothing. Parts are handed over directly, past the zip guard (which
 * would refuse a reference past the cap before any reader ran).
 */
const [n1] = syntheticMyNumbers(1, 99);
const rows = (n: number) => Array.from({ length: n }, (_, i) => [`社員${i}`, i]);

function fastAndSame(parts: ReturnType<typeof handParts>, limits: ReturnType<typeof resolveLimits>) {
  const r = bothWays(parts, limits);
  expect(r.fast).not.toHaveProperty('declined');
  expect(r.got).toStrictEqual(r.want);
  return r.got;
}

describe('limits, read by the fast reader as by SheetJS', () => {
  const limits = resolveLimits({ parse: { maxRows: 5, maxCellChars: 10 } });

  it('maxRows rows are read; one more is refused as too big, by both readers', () => {
    expect(fastAndSame(handParts({ sheets: [{ name: 'S', xml: sheetXml(rows(5)) }] }), limits)).toHaveProperty('ok');
    expect(fastAndSame(handParts({ sheets: [{ name: 'S', xml: sheetXml(rows(6)) }] }), limits)).toEqual({ error: 'ParseError:tooManyRows' });
  });

  it('row maxRows + 1 counts even when its only cell is empty text; a row past it is not read at all', () => {
    const empty = rawSheet(`<row r="1"><c r="A1"><v>1</v></c></row><row r="6"><c r="A6" t="inlineStr"><is><t></t></is></c></row>`);
    expect(fastAndSame(handParts({ sheets: [{ name: 'S', xml: empty }] }), limits)).toEqual({ error: 'ParseError:tooManyRows' });
    const past = rawSheet(`<row r="1"><c r="A1"><v>1</v></c></row><row r="7"><c r="A7"><v>2</v></c></row>`);
    const got = fastAndSame(handParts({ sheets: [{ name: 'S', xml: past }] }), limits);
    expect(got).toStrictEqual({ ok: { sheets: [{ name: 'S', rows: [['1']], numeric: [[1]] }], truncatedCells: 0 } });
  });

  it('cell text is capped at maxCellChars and every capped cell counted, shared and inline alike', () => {
    const xml = sheetXml([['氏名', '個人番号', 'x'.repeat(11)], ['y'.repeat(10), n1!, 'z'.repeat(50)]]);
    const got = fastAndSame(handParts({ sheets: [{ name: 'S', xml }] }), limits);
    expect(got).toMatchObject({ ok: { truncatedCells: 3 } });
  });

  it('a cell at XFD1048576 costs nothing and is not read (past sheetRows), as today', () => {
    const wide = resolveLimits();
    const xml = sheetXml(rows(3), { dimension: 'A1:XFD1048576', extraCells: '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>' });
    const started = performance.now();
    const got = fastAndSame(handParts({ sheets: [{ name: 'S', xml }] }), wide);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(got).toMatchObject({ ok: { sheets: [{ rows: [['社員0', '0'], ['社員1', '1'], ['社員2', '2']] }] } });
  });

  it('a far column within the row cap is a sparse entry, not a filled row', () => {
    const xml = rawSheet(`<row r="2"><c r="XFD2" t="inlineStr"><is><t>far</t></is></c></row>`);
    const got = fastAndSame(handParts({ sheets: [{ name: 'S', xml }] }), limits) as { ok: { sheets: Array<{ rows: string[][] }> } };
    const row = got.ok.sheets[0]!.rows[1]!;
    expect(Object.keys(row)).toEqual(['16383']);
    expect(Object.keys(got.ok.sheets[0]!.rows)).toEqual(['1']);
  });

  it('ReDoS-shaped values (long runs of &#, _x, spaces) are read quickly', () => {
    const long = ['&#'.repeat(100_000), '_x'.repeat(100_000), `<t${' '.repeat(100_000)}>x</t>`];
    const xml = rawSheet(`<row r="1">${long.map((v, i) => `<c r="${'ABC'[i]}1" t="inlineStr"><is>${i === 2 ? v : `<t>${v}</t>`}</is></c>`).join('')}</row>`);
    const started = performance.now();
    readWorkbook(Buffer.alloc(0), resolveLimits(), handParts({ sheets: [{ name: 'S', xml }] }));
    fastAndSame(handParts({ sheets: [{ name: 'S', xml }] }), resolveLimits());
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
