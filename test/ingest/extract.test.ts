import { describe, expect, it } from '@jest/globals';
import { extract } from '../../server/ingest/parse/extract.js';
import { classifyHeader } from '../../server/ingest/parse/headers.js';
import type { SheetGrid } from '../../server/ingest/parse/types.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

/** Extraction is pure: text rows in, persons and review rows out. */
const N = syntheticMyNumbers(60, 314);
const num = (() => {
  let i = 0;
  return () => N[i++]!;
})();
const sheet = (rows: string[][], name = 'S', numeric?: SheetGrid['numeric']): SheetGrid => ({ name, rows, ...(numeric ? { numeric } : {}) });
const names = (r: ReturnType<typeof extract>) => r.persons.map((p) => p.name);
const reviews = (r: ReturnType<typeof extract>) => r.review.map((x) => [x.name ?? '', x.reason]);

describe('header recognition', () => {
  it.each([
    '個人番号',
    'マイナンバー',
    '個人番号（マイナンバー）',
    '個人番号(マイナンバー)',
    'ﾏｲﾅﾝﾊﾞｰ',
    '個 人 番 号',
    '【個人番号】',
    'My Number',
    'MyNumber',
    '本人個人番号',
    '従業員のマイナンバー',
  ])('%s is a My Number column of the employee', (h) => {
    expect(classifyHeader(h)).toMatchObject({ role: 'number', relation: 'self' });
  });

  it.each([
    ['配偶者の個人番号', 'spouse', undefined],
    ['配偶者 マイナンバー', 'spouse', undefined],
    ['控除対象配偶者 個人番号', 'spouse', undefined],
    ['扶養親族1 個人番号', 'dependent', 1],
    ['扶養親族１の個人番号', 'dependent', 1],
    ['扶養親族（2）個人番号', 'dependent', 2],
    ['扶養親族③ マイナンバー', 'dependent', 3],
    ['16歳未満の扶養親族2 個人番号', 'dependent', 2],
    ['被扶養者 個人番号', 'dependent', undefined],
  ])('%s belongs to %s %s', (h, relation, index) => {
    expect(classifyHeader(h)).toMatchObject({ role: 'number', relation, index });
  });

  it.each(['個人番号カード有無', '個人番号提出日', '個人番号確認書類', 'マイナンバー一覧', '法人番号', '社員番号', '基礎年金番号', '電話番号', '備考', '番号'])(
    '%s is not a My Number column',
    (h) => {
      expect(classifyHeader(h)?.role).not.toBe('number');
    },
  );

  it('tells names, name parts, furigana, codes and 続柄 apart', () => {
    const role = (h: string) => classifyHeader(h)?.role;
    expect(['氏名', '名前', '従業員氏名', 'お名前', 'Name'].map(role)).toEqual(Array(5).fill('name'));
    expect(['姓', '名', '氏'].map(role)).toEqual(['sei', 'mei', 'sei']);
    expect(['フリガナ', 'ふりがな', 'カナ氏名', '氏名（フリガナ）', 'ﾌﾘｶﾞﾅ'].map(role)).toEqual(Array(5).fill('furigana'));
    expect(['セイ', 'メイ', 'フリガナ（姓）'].map(role)).toEqual(['seiKana', 'meiKana', 'seiKana']);
    expect(['社員番号', '従業員番号', '社員コード', '社員No.', '従業員ID'].map(role)).toEqual(Array(5).fill('code'));
    expect(['続柄', '扶養親族1 続柄'].map(role)).toEqual(['relationLabel', 'relationLabel']);
    expect(['会社名', '部署名', '所属'].map(role)).toEqual([undefined, undefined, undefined]);
  });
});

describe('extraction from rows', () => {
  it('finds the header below title rows and reads only the My Number column', () => {
    const [a, b, phone, note] = [num(), num(), num(), num()];
    const r = extract([
      sheet([
        ['令和6年分 従業員マイナンバー一覧'],
        ['株式会社テスト'],
        [],
        ['社員番号', '氏名', '個人番号', '電話番号', '備考'],
        ['E1', '山田 太郎', a, phone, `旧 ${note}`],
        ['E2', '佐藤 花子', b, phone, ''],
      ]),
    ]);
    expect(r.sheets[0]).toMatchObject({ headerRow: 4, numberColumns: [{ letter: 'C', header: '個人番号' }] });
    expect(r.persons.map((p) => [p.name, p.employeeCode, p.row, p.column, p.number === a || p.number === b])).toEqual([
      ['山田 太郎', 'E1', 5, 'C', true],
      ['佐藤 花子', 'E2', 6, 'C', true],
    ]);
    expect(r.persons.some((p) => p.number === phone || p.number === note)).toBe(false);
  });

  it('never takes 12-digit values from a sheet without a My Number header', () => {
    const r = extract([sheet([['氏名', '電話番号', '備考'], ['山田 太郎', num(), num()]])]);
    expect(r.persons).toEqual([]);
    expect(r.sheets[0]!.skipped).toBeDefined();
  });

  it('「従業員名」「配偶者名」 alone are whole names, not the given-name half of 姓 + 名', () => {
    const r = extract([sheet([['従業員名', '個人番号', '配偶者名', '配偶者の個人番号'], ['山田 太郎', num(), '山田 花子', num()]])]);
    expect(r.persons.map((p) => [p.name, p.relation.kind])).toEqual([
      ['山田 太郎', 'self'],
      ['山田 花子', 'spouse'],
    ]);
  });

  it('joins 姓 + 名 with a space and セイ + メイ for the furigana', () => {
    const r = extract([sheet([['姓', '名', 'セイ', 'メイ', 'マイナンバー'], ['山田', '太郎', 'ﾔﾏﾀﾞ', 'ﾀﾛｳ', num()]])]);
    expect(r.persons.map((p) => [p.name, p.furigana])).toEqual([['山田 太郎', 'ヤマダ タロウ']]);
  });

  it('reads dependents as column groups on the employee row, with the employee they belong to', () => {
    const r = extract([
      sheet([
        ['社員番号', '氏名', '個人番号', '配偶者氏名', '配偶者の個人番号', '扶養親族1 氏名', '扶養親族1 続柄', '扶養親族1 個人番号', '扶養親族2 氏名', '扶養親族2 個人番号'],
        ['E1', '山田 太郎', num(), '山田 花子', num(), '山田 一郎', '長男', num(), '山田 次郎', num()],
        ['E2', '佐藤 健', num(), '', '', '', '', '', '', ''],
      ]),
    ]);
    expect(r.persons.map((p) => [p.name, p.relation, p.employeeName ?? null, p.employeeCode, p.relationLabel ?? null])).toEqual([
      ['山田 太郎', { kind: 'self' }, null, 'E1', null],
      ['山田 花子', { kind: 'spouse' }, '山田 太郎', 'E1', null],
      ['山田 一郎', { kind: 'dependent', index: 1 }, '山田 太郎', 'E1', '長男'],
      ['山田 次郎', { kind: 'dependent', index: 2 }, '山田 太郎', 'E1', null],
      ['佐藤 健', { kind: 'self' }, null, 'E2', null],
    ]);
    expect(r.review).toEqual([]);
  });

  it('numbers repeated dependent groups that name no index in order', () => {
    const r = extract([sheet([['氏名', '個人番号', '扶養親族氏名', '扶養親族個人番号', '扶養親族氏名', '扶養親族個人番号'], ['A', num(), 'B', num(), 'C', num()]])]);
    expect(r.persons.map((p) => [p.name, p.relation])).toEqual([
      ['A', { kind: 'self' }],
      ['B', { kind: 'dependent', index: 1 }],
      ['C', { kind: 'dependent', index: 2 }],
    ]);
  });

  it('reads a two-row header: group labels over merged cells and vertically merged columns', () => {
    const r = extract([
      sheet([
        ['社員番号', '氏名', '個人番号', '配偶者', '', '扶養親族（1人目）', ''],
        ['', '', '', '氏名', '個人番号', '氏名', '個人番号'],
        ['E1', '山田 太郎', num(), '山田 花子', num(), '山田 一郎', num()],
      ]),
    ]);
    expect(r.persons.map((p) => [p.name, p.relation.kind, p.employeeCode])).toEqual([
      ['山田 太郎', 'self', 'E1'],
      ['山田 花子', 'spouse', 'E1'],
      ['山田 一郎', 'dependent', 'E1'],
    ]);
  });

  it('reads one person per row with a 続柄 column', () => {
    const r = extract([
      sheet([
        ['社員番号', '氏名', '続柄', '個人番号'],
        ['E1', 'A', '本人', num()],
        ['E1', 'B', '妻', num()],
        ['E1', 'C', '長男', num()],
        ['E1', 'D', '長女', num()],
        ['E2', 'E', '本人', num()],
      ]),
    ]);
    expect(r.persons.map((p) => [p.name, p.relation, p.employeeName ?? null])).toEqual([
      ['A', { kind: 'self' }, null],
      ['B', { kind: 'spouse' }, 'A'],
      ['C', { kind: 'dependent', index: 1 }, 'A'],
      ['D', { kind: 'dependent', index: 2 }, 'A'],
      ['E', { kind: 'self' }, null],
    ]);
  });

  it('sends rows to review with their reason and skips notes, footers and blank groups', () => {
    const good = num();
    const bad = good.slice(0, 11) + String((Number(good[11]) + 1) % 10);
    const r = extract([
      sheet([
        ['氏名', '個人番号', '配偶者氏名', '配偶者の個人番号'],
        ['A', bad, '', ''],
        ['B', '', '', ''],
        ['C', '1234', 'C2', ''],
        ['', num(), '', ''],
        ['※ 退職者は含みません', '', '', ''],
        ['合計', '', '', ''],
        ['', 'Page 1', '', ''],
      ]),
    ]);
    expect(reviews(r)).toEqual([
      ['A', 'check-digit'],
      ['B', 'missing'],
      ['C', 'wrong-length'],
      ['C2', 'missing'],
      ['', 'no-name'],
    ]);
    expect(r.review.every((x) => x.masked.replace(/[^0-9]/g, '').length <= 4)).toBe(true);
  });

  it('detects Excel damage from the numeric value of a cell', () => {
    const zeroLed = syntheticMyNumbers(3000, 8).find((n) => n.startsWith('0') && !n.startsWith('00'))!;
    const ok = num();
    const r = extract([
      sheet(
        [['氏名', '個人番号'], ['A', '1.23457E+11'], ['B', String(Number(zeroLed))], ['C', '1.23457E+11']],
        'S',
        [undefined, [undefined, Number(ok)], [undefined, Number(zeroLed)], undefined],
      ),
    ]);
    expect(names(r)).toEqual(['A']);
    expect(r.persons[0]!.number === ok).toBe(true);
    expect(reviews(r)).toEqual([
      ['B', 'excel-damaged'],
      ['C', 'excel-damaged'],
    ]);
    expect(r.review[0]!.proposedNumber === zeroLed).toBe(true);
  });

  it('offers candidate columns when two could be the My Number column, and reads the chosen one', () => {
    const rows = [['氏名', '個人番号', 'マイナンバー'], ['A', num(), num()], ['B', num(), num()]];
    const first = extract([sheet(rows)]);
    expect(first.persons).toEqual([]);
    expect(first.ambiguousColumns).toEqual([
      {
        sheet: 'S',
        relation: { kind: 'self' },
        candidates: [
          { sheet: 'S', column: 1, letter: 'B', header: '個人番号' },
          { sheet: 'S', column: 2, letter: 'C', header: 'マイナンバー' },
        ],
      },
    ]);
    const chosen = extract([sheet(rows)], { columnChoices: [{ sheet: 'S', column: 2 }] });
    expect(chosen.ambiguousColumns).toEqual([]);
    expect(chosen.persons.map((p) => p.number === rows[p.row - 1]![2])).toEqual([true, true]);
  });

  it('a second candidate column that holds no digits is not a real candidate', () => {
    const r = extract([sheet([['氏名', '個人番号', 'マイナンバー（確認用）'], ['A', num(), ''], ['B', num(), '済']])]);
    expect(r.ambiguousColumns).toEqual([]);
    expect(names(r)).toEqual(['A', 'B']);
  });

  it('a sheet without headers but with a column of 12-digit values asks staff, and reads their choice', () => {
    const rows = [['山田 太郎', num(), '営業'], ['佐藤 花子', num(), '総務']];
    const r = extract([sheet(rows)]);
    expect(r.persons).toEqual([]);
    expect(r.ambiguousColumns[0]!.candidates.map((c) => c.letter)).toEqual(['B']);
    const chosen = extract([sheet(rows)], { columnChoices: [{ sheet: 'S', column: 1, nameColumn: 0 }] });
    expect(names(chosen)).toEqual(['山田 太郎', '佐藤 花子']);
    expect(chosen.persons.map((p) => p.row)).toEqual([1, 2]);
  });

  it('the same number under two names goes to review; the same person twice is one person', () => {
    const [a, b] = [num(), num()];
    const r = extract([
      sheet([['氏名', '個人番号'], ['A', a], ['B', a], ['C', b]], '社員'),
      sheet([['氏名', '個人番号'], ['C', b]], '扶養'),
    ]);
    expect(names(r)).toEqual(['C']);
    expect(reviews(r)).toEqual([
      ['A', 'duplicate-number'],
      ['B', 'duplicate-number'],
    ]);
    expect(r.warnings).toEqual([{ key: 'ingest.warnings.duplicateRows', count: 1 }]);
  });

  it('skips repeated header rows and keeps the row numbers of sparse sheets', () => {
    const rows: string[][] = [];
    rows[0] = ['氏名', '個人番号'];
    rows[9] = ['A', num()];
    rows[10] = ['氏名', '個人番号'];
    rows[99] = ['B', num()];
    const r = extract([sheet(rows)]);
    expect(r.persons.map((p) => [p.name, p.row])).toEqual([
      ['A', 10],
      ['B', 100],
    ]);
  });
});
