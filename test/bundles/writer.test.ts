import { describe, expect, it } from '@jest/globals';
import iconv from 'iconv-lite';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { readLines } from '../../server/bundles/read/unified-reader.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import { planRouting } from '../../server/bundles/route/route-rows.js';
import type { PayRow } from '../../server/bundles/rows.js';
import { isValidCorporateNumber, type RowNumbers } from '../../server/bundles/write/fill-numbers.js';
import { joinRecord, renderRow, writeUnifiedCsv } from '../../server/bundles/write/unified-writer.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { texts, TWELVE_DIGITS, unifiedCells } from './fixtures.js';

const L7 = layoutFor(7)!;
const CORP = '7000012050002'; // 国税庁's published 法人番号: a public, valid one
const flags = () => ({ yearEndAdjusted: true, officer: false, professional: false, hei: false });

function rowOf(over: Record<number, string>, line = 1, extra: Partial<PayRow> = {}): PayRow {
  const r = toPayRow(unifiedCells(over), line, L7).row;
  if (!r) throw new Error('fixture row invalid');
  return { ...r, ...extra };
}
const plan = (rows: PayRow[]) => planRouting(rows, flags, 7);
const MUNI = { kind: 'municipal', code: '13206' } as const;

describe('writing a destination’s 統一CSV with the numbers filled', () => {
  it('when numbers are supplied, they land in their ★ columns, 作成区分 is set, and the file round-trips through Shift_JIS (CRLF, no header)', () => {
    const [self, spouse, d1] = syntheticMyNumbers(3, 21);
    const r = rowOf({ 17: '6000000', 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00', 100: 'ﾔﾏﾀﾞ ｼﾞﾛｳ', 101: '山田　次郎', 102: '00' });
    const out = writeUnifiedCsv(plan([r]), { kind: 'tax-office' }, () => ({ payer: CORP, self, spouse, dependents: [d1] }));
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const text = iconv.decode(out.bytes, 'shift_jis');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(2);
    const cells = text.split('\r\n')[0]!.split(',');
    expect(cells).toHaveLength(147);
    expect([cells[93], cells[94], cells[98], cells[102], cells[146]]).toEqual([CORP, self, spouse, d1, '2']);
    expect(cells[13]).toBe('山田　太郎');
    expect(cells[0]).toBe('315'); // no header: the first line is a record
    // Read back as input, it is the same row (numbers reported by position only).
    const back = readLines(text.split('\r\n').slice(0, 1), L7);
    expect(back.rows[0]?.name).toBe('山田　太郎');
    expect(back.problems.map((p) => p.col)).toEqual([94, 95, 99, 103]);
  });

  it('when a person has 5 控除対象扶養親族, cols 100–115 hold the first four and col 132 one entry; with 4, col 132 stays empty; the same for 16歳未満 / col 133', () => {
    const nums = syntheticMyNumbers(10, 33);
    const kids = (n: number, who: string) => Array.from({ length: n }, (_, i) => ({ furigana: 'ｺ', name: `${who}${'一二三四五'[i]}`, kubun: '00' }));
    const five = rowOf({}, 1, { dependents: kids(5, '扶養'), under16: kids(4, '子') });
    const numbers: RowNumbers = { dependents: nums.slice(0, 5), under16: nums.slice(5, 9) };
    const out = writeUnifiedCsv(plan([five]), MUNI, () => numbers);
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const cells = iconv.decode(out.bytes, 'shift_jis').split('\r\n')[0]!.split(',');
    expect([102, 106, 110, 114].map((i) => cells[i])).toEqual(nums.slice(0, 4));
    expect(cells[131]).toBe(`(${nums[4]})扶養五`);
    expect(cells[132]).toBe('');
    expect([118, 122, 126, 130].map((i) => cells[i])).toEqual(nums.slice(5, 9));
  });

  it('when a name has 髙 or 﨑, the row is sent to review and no file is written (never a silent 「?」)', async () => {
    for (const name of ['髙橋　一', '山﨑　二']) {
      const r = { ...rowOf({}), name, cells: unifiedCells({ 14: name }) };
      const out = writeUnifiedCsv(plan([r]), MUNI, () => ({}));
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.problems).toMatchObject([{ code: 'cell.outsideJis', severity: 'review', col: 14 }]);
      expect((await texts(out.problems))[0]).toContain(name.includes('髙') ? '「髙」' : '「﨑」');
    }
  });

  it('when a name holds a half-width comma, it is written as 「，」 and the column count holds', () => {
    const r = { ...rowOf({}), cells: unifiedCells({ 5: '株式会社金庫,東京' }) };
    const out = writeUnifiedCsv(plan([r]), MUNI, () => ({}));
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const cells = iconv.decode(out.bytes, 'shift_jis').split('\r\n')[0]!.split(',');
    expect(cells).toHaveLength(147);
    expect(cells[4]).toBe('株式会社金庫，東京');
  });

  it('when a 全角 field holds 半角 「-」, the row is flagged with the characters and the column, and nothing is written', async () => {
    const r = { ...rowOf({}), cells: unifiedCells({ 12: '東京都府中市宮町1-2-3' }) };
    const out = writeUnifiedCsv(plan([r]), MUNI, () => ({}));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems).toMatchObject([{ code: 'cell.hankakuInZenkaku', col: 12, params: { chars: '「-」' } }]);
    expect((await texts(out.problems))[0]).toContain('12列目（支払を受ける者－住所又は居所）');
  });

  it('when the last field is empty, it is written as one space; a 令和6年分 row ends in its 作成区分 at col 144', () => {
    expect(joinRecord(['315', '', ''])).toBe('315,, ');
    expect(joinRecord(['315', '', '1'])).toBe('315,,1');
    const L6 = layoutFor(6)!;
    const r6 = toPayRow(unifiedCells({ 11: '06' }, 144), 1, L6).row!;
    const line = renderRow(planRouting([r6], flags, 6).rows[0]!, {}, L6).line!;
    expect(line.split(',')).toHaveLength(144);
    expect(line.endsWith(',1')).toBe(true);
  });

  it('when a supplied number is not valid, the row is refused and no message holds the digits', async () => {
    const [good] = syntheticMyNumbers(1, 5);
    const bad = good!.slice(0, 11) + String((Number(good!.at(-1)) + 1) % 10);
    const out = writeUnifiedCsv(plan([rowOf({})]), MUNI, () => ({ self: bad, payer: '1234567890123' }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems.map((p) => [p.code, p.col])).toEqual([['write.badNumber', 94], ['write.badNumber', 95]]);
    for (const t of await texts(out.problems)) expect(t).not.toMatch(TWELVE_DIGITS);
    expect(isValidCorporateNumber(CORP)).toBe(true);
  });

  it('when a number is not held (番号未提供), its cell is blank and counted', () => {
    const out = writeUnifiedCsv(plan([rowOf({})]), MUNI, () => ({ payer: CORP }));
    expect(out).toMatchObject({ ok: true, rows: 1, blankNumberCells: 1 });
  });

  it('when a destination is asked for, only its rows are written: the 税務署 file leaves out people under its range', () => {
    const p = plan([rowOf({ 17: '6000000' }, 1), rowOf({ 17: '3000000', 14: '佐藤　三郎' }, 2)]);
    const taxOut = writeUnifiedCsv(p, { kind: 'tax-office' }, () => ({}));
    const muniOut = writeUnifiedCsv(p, MUNI, () => ({}));
    expect(taxOut).toMatchObject({ ok: true, rows: 1 });
    expect(muniOut).toMatchObject({ ok: true, rows: 2 });
    if (muniOut.ok) expect(iconv.decode(muniOut.bytes, 'shift_jis').split('\r\n').slice(0, -1).map((l) => l.split(',')[146])).toEqual(['2', '1']);
  });
});
