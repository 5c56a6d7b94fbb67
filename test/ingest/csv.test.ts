import { describe, expect, it } from '@jest/globals';
import { decodeText, parseCsv } from '../../server/ingest/parse/csv.js';

const limits = { maxCellChars: 32_767, maxRows: 100_000 };

describe('CSV encoding is detected, not assumed', () => {
  const text = '氏名,個人番号\n髙橋 一郎,１２３４\n';
  it('UTF-8 with and without BOM', () => {
    expect(decodeText(Buffer.from(text))).toMatchObject({ text, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toMatchObject({ text, encoding: 'utf-8-bom' });
  });
  it('Shift_JIS (CP932, with its extension characters such as 髙 and ①)', () => {
    // 氏名,髙① in CP932
    const sjis = Buffer.from([0x8e, 0x81, 0x96, 0xbc, 0x2c, 0xfb, 0xfc, 0x87, 0x40, 0x0a]);
    expect(decodeText(sjis)).toMatchObject({ text: '氏名,髙①\n', encoding: 'shift_jis', invalid: 0 });
  });
  it('UTF-16 with BOM (Excel "Unicode text")', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('氏名\t個人番号\n', 'utf16le')]);
    expect(decodeText(le)).toMatchObject({ text: '氏名\t個人番号\n', encoding: 'utf-16le' });
  });
});

describe('RFC 4180 parsing', () => {
  it('handles quotes, doubled quotes, embedded line breaks and CRLF / LF / CR', () => {
    const { rows } = parseCsv('a,"b ""q"" c","line1\r\nline2"\r\nx,y\rz,\n', limits);
    expect(rows).toEqual([['a', 'b "q" c', 'line1\r\nline2'], ['x', 'y'], ['z', '']]);
  });
  it('keeps blank lines as empty rows so row numbers match what a person sees', () => {
    expect(parseCsv('title\n\nh1,h2\n', limits).rows).toEqual([['title'], [], ['h1', 'h2']]);
  });
  it('reads tab-separated text', () => {
    expect(parseCsv('氏名\t個人番号\nA\t1\n', limits).rows).toEqual([['氏名', '個人番号'], ['A', '1']]);
  });
  it('caps overlong cells and counts them', () => {
    const r = parseCsv(`${'x'.repeat(50)},"${'y'.repeat(50)}"\n`, { maxCellChars: 10, maxRows: 10 });
    expect(r.rows).toEqual([['x'.repeat(10), 'y'.repeat(10)]]);
    expect(r.truncatedCells).toBe(2);
  });
  it('refuses more rows than the cap', () => {
    expect(() => parseCsv('a\nb\nc\n', { maxCellChars: 10, maxRows: 2 })).toThrow('ingest.errors.tooManyRows');
  });
  it('is linear on pathological input (an unterminated quote over a megabyte)', () => {
    const started = Date.now();
    parseCsv(`"${'"",'.repeat(400_000)}`, limits);
    // A million empty cells in one row is past the column cap (issue 12): refused, as fast.
    expect(() => parseCsv(','.repeat(1_000_000), limits)).toThrow('ingest.errors.tooBig');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
