import { describe, expect, it } from '@jest/globals';
import { isValidMyNumber } from '../../server/mynumber/check-digit.js';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import type { FamilyMember, PayRow } from '../../server/bundles/rows.js';
import { municipalSlipsName, taxOfficeSlipsName } from '../../server/bundles/slip-pdf/file-names.js';
import { numberedSlipsPdf } from '../../server/bundles/write/slips-pdf.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { flat, seePdf } from '../helpers/pdf-text.js';
import { unifiedCells } from './fixtures.js';

/**
 * The numbered printed slips (税務署提出用 / 給与支払報告書), read back with
 * poppler as the 市区町村's clerk would see them: one page per person, the
 * person's and family's 個人番号 in their boxes, the payer's 法人番号, names
 * and amounts with thousands separators.
 */
const L7 = layoutFor(7)!;
const CORP = '7000012050002'; // 国税庁's published 法人番号: public and valid
const kid = (name: string): FamilyMember => ({ furigana: 'ｺ', name, kubun: '00' });

function rowOf(over: Record<number, string>, line: number, extra: Partial<PayRow> = {}): PayRow {
  const r = toPayRow(unifiedCells(over), line, L7).row;
  if (!r) throw new Error('fixture row invalid');
  return { ...r, ...extra };
}

/** Every run of 12+ digits on a page once its spaces are gone, split where a label or other text stops it. */
const digitRuns = (page: string) => flat(page).match(/\d{12,}/g) ?? [];

describe('the numbered slips PDF', () => {
  it('when the 市区町村 copy is printed, each person gets one page with exactly their own, their spouse’s and dependants’ numbers, the payer’s 法人番号, their name and amounts', async () => {
    const [self1, spouse1, dep1, kid1, self2] = syntheticMyNumbers(5, 41);
    const taro = rowOf({ 17: '6000000', 19: '4360000', 21: '123400', 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00' }, 1, { dependents: [kid('山田　次郎')], under16: [kid('山田　三郎')] });
    const jiro = rowOf({ 14: '鈴木　一郎', 17: '3500000', 138: '1002' }, 2);
    const pdf = await numberedSlipsPdf({
      nenbun: 7,
      copy: 'municipal',
      payerNumber: CORP,
      slips: [
        { row: taro, numbers: { self: self1, spouse: spouse1, dependents: [dep1], under16: [kid1] } },
        { row: jiro, numbers: { self: self2 } },
      ],
    });
    const seen = seePdf(pdf);
    expect(seen.pageCount).toBe(2);
    expect(seen.pageSize).toMatch(/^419\.5\d* x 297\.6\d* pts/); // A6 landscape
    const [p1, p2] = seen.pages.map(flat) as [string, string];
    expect(p1).toContain('令和7年分給与所得の源泉徴収票');
    expect(p1).toContain('給与支払報告書（個人別明細書）');
    expect(p1).toContain('山田太郎');
    expect(p1).toContain('山田花子');
    expect(p1).toContain('山田次郎');
    expect(p1).toContain('山田三郎');
    expect(p1).toContain('6,000,000');
    expect(p1).toContain('4,360,000');
    expect(p1).toContain('123,400');
    expect(p1).toContain('株式会社金庫');
    expect(digitRuns(seen.pages[0]!).sort()).toEqual([self1, spouse1, dep1, kid1, CORP].sort());
    expect(p2).toContain('鈴木一郎');
    expect(p2).toContain('3,500,000');
    expect(digitRuns(seen.pages[1]!).sort()).toEqual([self2, CORP].sort());
  });

  it('when a dependant’s number was never provided (番号未提供), their box prints empty and no other number takes its place', async () => {
    const [self] = syntheticMyNumbers(1, 42);
    const row = rowOf({}, 1, { dependents: [kid('山田　次郎'), kid('山田　四郎')] });
    const seen = seePdf(await numberedSlipsPdf({ nenbun: 7, copy: 'tax-office', payerNumber: CORP, slips: [{ row, numbers: { self, dependents: [undefined, undefined] } }] }));
    expect(flat(seen.layout)).toContain('税務署提出用');
    expect(flat(seen.layout)).toContain('山田四郎');
    expect(digitRuns(seen.layout).filter(isValidMyNumber)).toEqual([self]);
  });

  it('when someone has a 5th 控除対象扶養親族, the table grows a row for them, with their number', async () => {
    const nums = syntheticMyNumbers(6, 43);
    const five = ['一', '二', '三', '四', '五'].map((n) => kid(`扶養　${n}郎`));
    const row = rowOf({}, 1, { dependents: five });
    const seen = seePdf(await numberedSlipsPdf({ nenbun: 7, copy: 'municipal', payerNumber: CORP, slips: [{ row, numbers: { self: nums[0], dependents: nums.slice(1) } }] }));
    expect(flat(seen.layout)).toContain('扶養五郎');
    expect(digitRuns(seen.layout).sort()).toEqual([...nums, CORP].sort());
  });

  it('when the payer is a sole proprietor (a 12-digit 個人番号), it is right-aligned in the 13 boxes: the first box stays empty, the last digits line up with a 法人番号’s', async () => {
    const [owner, self] = syntheticMyNumbers(2, 44);
    const lastDigitX = async (payerNumber: string) => {
      const seen = seePdf(await numberedSlipsPdf({ nenbun: 7, copy: 'municipal', payerNumber, slips: [{ row: rowOf({}, 1), numbers: { self } }] }));
      const label = seen.words.find((w) => w.text.includes('法人番号'))!;
      const row = seen.words.filter((w) => /^\d$/.test(w.text) && Math.abs(w.yMin - label.yMin) < 6 && w.xMin > label.xMin);
      return { first: Math.min(...row.map((w) => w.xMin)), last: Math.max(...row.map((w) => w.xMin)), count: row.length };
    };
    const corp = await lastDigitX(CORP);
    const person = await lastDigitX(owner!);
    expect([corp.count, person.count]).toEqual([13, 12]);
    expect(Math.abs(corp.last - person.last)).toBeLessThan(0.5);
    expect(person.first - corp.first).toBeGreaterThan(8); // one box further right
  });

  it('when a number fails its check digit, nothing is printed and the error names the line and column, never the number', async () => {
    const bad = '123456789010';
    const attempt = numberedSlipsPdf({ nenbun: 7, copy: 'municipal', payerNumber: CORP, slips: [{ row: rowOf({}, 7), numbers: { self: bad } }] });
    await expect(attempt).rejects.toThrow(/line 7: col 95/);
    await expect(attempt).rejects.not.toThrow(new RegExp(bad));
  });

  it('when it is named for the zip, the name is plain ASCII with the 年分 and the destination', () => {
    expect(taxOfficeSlipsName(7)).toBe('gensen_R07_zeimusho.pdf');
    expect(municipalSlipsName(7, '01100')).toBe('kyuyo_R07_01100.pdf');
  });
});
