import { describe, expect, it } from '@jest/globals';
import * as XLSX from '@e965/xlsx';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveLimits } from '../../server/ingest/parse/limits.js';
import { guardZip, type ZipPart } from '../../server/ingest/parse/zip-guard.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { bothWays, handParts, mixedSheet, rawSheet, sheetJsParts, sst, styles } from './xlsx-samples.js';
import { sheetXml } from './xlsx-parts.js';

/**
 * The fast xlsx reader against SheetJS, its reference: on every workbook
 * here, readWorkbook (fast reader first) gives exactly what the SheetJS path
 * gives — and on the ordinary ones the fast reader really read them (had it
 * declined, the speed-up would be fake).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const limits = resolveLimits();
const [n1, n2] = syntheticMyNumbers(2, 4242);

function expectSame(parts: ZipPart[], fast: 'reads' | 'declines'): string | undefined {
  const r = bothWays(parts, limits);
  expect(r.got).toStrictEqual(r.want);
  if (fast === 'reads') expect(r.fast).not.toHaveProperty('declined');
  else expect(r.fast).toHaveProperty('declined');
  return 'declined' in r.fast ? r.fast.declined : undefined;
}

function fixtureFiles(): string[] {
  const dirs = [path.join(here, '../fixtures/ingest'), '/work/shared/fixtures'];
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.xlsx') && f !== 'encrypted.xlsx').map((f) => path.join(d, f)) : []));
}

describe('the fast xlsx reader gives what SheetJS gives', () => {
  it('on every LibreOffice-made fixture, and reads each of them itself', async () => {
    const files = fixtureFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expectSame((await guardZip(fs.readFileSync(f), limits)).parts, 'reads');
  });

  it('on SheetJS-written workbooks, shared strings on and off, several sheets, __proto__ and constructor names', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const wb = XLSX.utils.book_new();
      XLSX.utils.book_append_sheet(wb, mixedSheet(seed, 40), 'Roster');
      XLSX.utils.book_append_sheet(wb, mixedSheet(seed + 100, 7), seed % 2 ? '__proto__' : 'constructor');
      XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([[]]), 'Empty');
      if (seed === 3) wb.Workbook = { WBProps: { date1904: true } };
      for (const bookSST of [true, false]) expectSame(await sheetJsParts(wb, { bookSST }), 'reads');
    }
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('numbers as Excel shows them: 12-digit General (1.23457E+11), lost leading zero, percent, text format, custom and implicit formats', () => {
    const cells = [
      ['123456789018', 1],
      ['12345678901', 0],
      ['0.125', 2],
      ['123456789018', 3],
      ['45123.5', 4],
      ['45123.5', 5],
      ['-3.5', 6],
      ['1E+21', 0],
      ['7', 7],
      ['45123', 8],
      ['99', 9],
    ];
    const row = cells.map(([v, s], c) => `<c r="${String.fromCharCode(65 + c)}1" s="${s}"><v>${v}</v></c>`).join('');
    const xml = rawSheet(`<row r="1">${row}</row><row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b" s="2"><v>0</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="b"/></row>`);
    const sty = styles([[164, 'yyyy"年"m"月"d"日"'], [165, '[$-411]ggge"年"m"月"d"日"'], [166, '000000000000'], [167, 'd.m']], [0, 0, 10, 49, 14, 164, 165, 166, 31, 167]);
    expectSame(handParts({ sheets: [{ name: 'S', xml }], styles: sty }), 'reads');
  });

  it('shared strings: plain, rich runs, phonetic runs, entities, _xHHHH_ escapes, CR LF, whitespace', () => {
    const items = [
      '<t>氏名</t>',
      `<t xml:space="preserve">  ${n1}  </t>`,
      '<r><rPr><b/><sz val="11"/></rPr><t>山田</t></r><r><t xml:space="preserve"> 太郎</t></r>',
      '<t>山田 太郎</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1" type="noConversion"/>',
      '<r><t>佐藤</t></r><rPh sb="0" eb="2"><t>サトウ</t></rPh><r><t>花子</t></r><phoneticPr fontId="1"/>',
      '<t>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#12354;&#x3042; &AMP; &#65;</t>',
      '<t>_x000D_ _x0041_ _X0042_ _x00_ line1&#13;&#10;line2</t>',
      '<t>cr\r\nlf</t>',
      '',
      '<t/>',
      '<phoneticPr fontId="1"/>',
      '<t></t>',
    ];
    const row = items.map((_, i) => `<c r="${String.fromCharCode(65 + i)}1" t="s"><v>${i}</v></c>`).join('');
    const xml = rawSheet(`<row r="1">${row}</row><row r="2"><c r="A2" t="s"><v>1</v></c></row>`);
    expectSame(handParts({ sheets: [{ name: 'S', xml }], sharedStrings: sst(items) }), 'reads');
  });

  it('inline strings, formula strings (unescaped twice, as SheetJS does), cells and rows without r, empty and self-closed rows and cells', () => {
    const data = [
      `<row r="1"><c r="A1" t="inlineStr"><is><t>氏名</t></is></c><c r="B1" t="inlineStr"><is><r><t>個人</t></r><r><t>番号</t></r></is></c></row>`,
      `<row r="2"><c r="A2" t="str"><f>A1&amp;"x"</f><v>a &amp;amp; b &#12354; _x0041_</v></c><c r="B2"><f>1+1</f><v>${n1}</v></c><c r="C2" t="str"><v></v></c><c r="D2" t="inlineStr"/></row>`,
      `<row r="3"/><row><c><v>1</v></c><c t="inlineStr"><is><t>x</t></is></c><c r="E3"><v>2</v></c><c><v>3</v></c></row>`,
      `<row r="6" spans="1:3" x14ac:dyDescent="0.25"><c r="A6" s="0" t="n"><v>${n2}</v></c><c r="B6" t="s"/><c r="C6"/></row><row r="8"/>`,
    ].join('');
    const xml = rawSheet(data).replace('<worksheet ', '<worksheet xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" ');
    expectSame(handParts({ sheets: [{ name: 'S', xml }, { name: 'T', xml: sheetXml([['a', 1], ['b', 2]]) }] }), 'reads');
  });

  it('the hostile tests’ hand-made workbooks (dimension claims, __proto__ sheets, long strings) are read alike', () => {
    const table = [['氏名', '個人番号', '__proto__'], ['__proto__', n1!, '{"polluted":"yes"}'], ['山田 太郎', n2!, 'x'.repeat(40_000)]];
    expectSame(handParts({ sheets: [{ name: 'S', xml: sheetXml(table, { dimension: 'A1:XFD1048576' }) }] }), 'reads');
    expectSame(handParts({ sheets: [{ name: '__proto__', xml: sheetXml(table) }, { name: 'constructor', xml: sheetXml(table) }] }), 'reads');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('what the fast reader declines, SheetJS reads as before', () => {
  const plain = `<row r="1"><c r="A1" t="inlineStr"><is><t>氏名</t></is></c><c r="B1"><v>${n1}</v></c></row>`;
  const cases: Array<[string, () => ZipPart[]]> = [
    ['a DOCTYPE (refused by the zip guard in an upload)', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(plain).replace('<worksheet', '<!DOCTYPE worksheet [<!ENTITY x "y">]><worksheet') }] })],
    ['strict OOXML namespaces', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(plain).replace('http://schemas.openxmlformats.org/spreadsheetml/2006/main', 'http://purl.oclc.org/ooxml/spreadsheetml/main') }] })],
    ['prefixed elements', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>`) }] })],
    ['date cells (t="d")', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A1" t="d"><v>2024-04-01</v></c></row>`) }] })],
    ['CDATA in a value', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a<b]]></t></is></c></row>`) }] })],
    ['a cell outside its row', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A5"><v>1</v></c></row>`) }] })],
    ['$ and lower-case references', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="$A$1"><v>1</v></c><c r="b1"><v>2</v></c></row>`) }] })],
    ['an unclosed cell', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A1"><v>1</v></row>`) }] })],
    ['a shared string index past the table', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A1" t="s"><v>5</v></c></row>`) }], sharedStrings: sst(['<t>a</t>']) })],
    ['an attribute SheetJS would fold into t', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(`<row r="1"><c r="A1" T="s"><v>0</v></c></row>`) }], sharedStrings: sst(['<t>a</t>']) })],
    ['hyperlinks', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(plain).replace('</sheetData>', '</sheetData><hyperlinks><hyperlink ref="A9" display="x"/></hyperlinks>') }] })],
    ['a missing worksheet part', () => handParts({ sheets: [{ name: 'S', xml: rawSheet(plain) }] }).filter((p) => !p.name.includes('worksheets'))],
  ];
  for (const [what, parts] of cases) {
    it(`${what}: declined, and the result is SheetJS's`, () => {
      expect(expectSame(parts(), 'declines')).toEqual(expect.any(String));
    });
  }

  it('xlsb and other containers are declined', async () => {
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['氏名', '個人番号'], ['山田 太郎', n1]]), 'S');
    const bytes = XLSX.write(wb, { type: 'buffer', bookType: 'xlsb' }) as Buffer;
    const parts = (await guardZip(bytes, limits)).parts;
    expect(expectSame(parts, 'declines')).toBe('not an xlsx workbook');
  });
});
