import { describe, expect, it } from '@jest/globals';
import { carriedNumberCells } from '../../server/bundles/read/carried-numbers.js';
import { readUnifiedCsv } from '../../server/bundles/read/unified-reader.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { sjis, texts, TWELVE_DIGITS, unifiedCells } from './fixtures.js';

describe('reading the 統一CSV a payroll program exports', () => {
  it('when the file is Shift_JIS without numbers (CRLF or LF), each line becomes a typed row', () => {
    for (const eol of ['\r\n', '\n']) {
      const two = unifiedCells({ 14: '鈴木　花子', 17: '1500001', 50: '1', 60: '2', 61: '07', 62: '06', 63: '30', 139: '011002', 100: 'ｽｽﾞｷ ｲﾁﾛｳ', 101: '鈴木　一郎', 102: '00' });
      const { rows, problems } = readUnifiedCsv(sjis([unifiedCells(), two], eol), 7);
      expect(problems).toEqual([]);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ line: 1, name: '山田　太郎', furigana: 'ﾔﾏﾀﾞ ﾀﾛｳ', employeeCode: '1001', pay: 4_000_000, otsu: false, municipalityCode: '132063', birth: { era: '4', year: '02', month: '04', day: '01' } });
      expect(rows[1]).toMatchObject({ pay: 1_500_001, otsu: true, midYear: { kind: 'left', year: '07', month: '06', day: '30' }, municipalityCode: '011002' });
      expect(rows[1]?.dependents).toEqual([{ furigana: 'ｽｽﾞｷ ｲﾁﾛｳ', name: '鈴木　一郎', kubun: '00' }]);
    }
  });

  it('when a row has the wrong number of columns for the 年分, that row is refused with the count', async () => {
    const { rows, problems } = readUnifiedCsv(sjis([unifiedCells(), unifiedCells({}, 144)]), 7);
    expect(rows).toHaveLength(1);
    expect(problems).toMatchObject([{ code: 'row.columnCount', line: 2, params: { found: 144, expected: 147 } }]);
    expect((await texts(problems))[0]).toContain('147 項目');
  });

  it('when the file starts with a header row, it is refused and says so', async () => {
    const header = unifiedCells({ 1: '法定資料の種類', 17: '支払金額' });
    const { rows, problems } = readUnifiedCsv(sjis([header, unifiedCells()]), 7);
    expect(rows).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(['file.header']);
    expect((await texts(problems))[0]).toContain('見出し行');
  });

  it('when the file is UTF-8 (with or without BOM), it is refused as UTF-8, not read as 文字化け', () => {
    const text = unifiedCells().join(',') + '\r\n';
    for (const bytes of [Buffer.from(text, 'utf8'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])]) {
      expect(readUnifiedCsv(bytes, 7).problems.map((p) => p.code)).toEqual(['file.utf8']);
    }
  });

  it('when an amount is not a number, the row and column are named', async () => {
    const { rows, problems } = readUnifiedCsv(sjis([unifiedCells({ 17: '４０００００' }), unifiedCells({ 21: '10万' })]), 7);
    expect(rows).toEqual([]);
    expect(problems).toMatchObject([{ code: 'cell.notDigits', line: 1, col: 17 }, { code: 'cell.notDigits', line: 2, col: 21 }]);
    expect((await texts(problems))[0]).toContain('17列目（支払金額）');
  });

  it('when the file carries numbers, it reports which rows and columns, drops them from the typed rows, and no message holds a 12-digit run', async () => {
    const [self, spouse, dep] = syntheticMyNumbers(3, 15);
    const cells = unifiedCells({ 95: self!, 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00', 99: spouse!, 103: dep!, 86: '' });
    const bytes = sjis([unifiedCells(), cells]);
    const { rows, problems } = readUnifiedCsv(bytes, 7);
    expect(problems.map((p) => [p.code, p.line, p.col])).toEqual([['numberPresent', 2, 95], ['numberPresent', 2, 99], ['numberPresent', 2, 103]]);
    expect(JSON.stringify(rows)).not.toMatch(TWELVE_DIGITS);
    expect(rows[1]?.spouse?.name).toBe('山田　花子');
    const all = await texts(problems);
    expect(all.length).toBe(6);
    for (const t of all) expect(t).not.toMatch(TWELVE_DIGITS);
    // The later step re-reads them, in memory, to check against the vault.
    expect(carriedNumberCells(bytes, 7).get(2)).toEqual(new Map([[95, self], [99, spouse], [103, dep]]));
  });

  it('when a name has a character outside JIS第1・第2水準, it goes to review with the character named', async () => {
    const { problems } = readUnifiedCsv(sjis([unifiedCells({ 14: '髙橋　一' })]), 7);
    // iconv writes 髙 as its CP932 (IBM extension) code; reading it back must not pass it.
    expect(problems).toMatchObject([{ code: 'cell.outsideJis', severity: 'review', col: 14 }]);
    expect((await texts(problems))[0]).toContain('「髙」');
  });

  it('when 受給者番号 holds letters, it is refused (eLTAX takes digits only)', () => {
    expect(readUnifiedCsv(sjis([unifiedCells({ 138: 'E1001' })]), 7).problems).toMatchObject([{ code: 'cell.notDigits', col: 138 }]);
  });

  it('when the 年分 is 令和6年分, 144 columns are right and 147 are not', () => {
    expect(readUnifiedCsv(sjis([unifiedCells({ 11: '06' }, 144)]), 6).problems).toEqual([]);
    expect(readUnifiedCsv(sjis([unifiedCells()]), 6).problems.map((p) => p.code)).toEqual(['row.columnCount']);
  });
});
