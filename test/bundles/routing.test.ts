import { describe, expect, it } from '@jest/globals';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { planRouting, routeRow } from '../../server/bundles/route/route-rows.js';
import { rulesFor, type RuleSet } from '../../server/bundles/route/rules.js';
import type { PayRow, PersonFlags } from '../../server/bundles/rows.js';
import { texts, unifiedCells } from './fixtures.js';

const R7 = rulesFor(7)!;
function row(over: Record<number, string> = {}, line = 1): PayRow {
  const r = toPayRow(unifiedCells(over), line, layoutFor(7)!).row;
  if (!r) throw new Error('fixture row invalid');
  return r;
}
const adjusted = (extra: PersonFlags = {}): PersonFlags => ({ yearEndAdjusted: true, officer: false, professional: false, hei: false, ...extra });
const tax = (r: PayRow, f: PersonFlags, rules: RuleSet = R7) => routeRow(r, f, rules).taxOffice.status;

describe('who goes to the 税務署 (提出範囲, strict 「超える」)', () => {
  it.each([
    ['年調済 役員', adjusted({ officer: true }), 1_500_000],
    ['年調済 士業', adjusted({ professional: true }), 2_500_000],
    ['年調済 others', adjusted(), 5_000_000],
    ['年調なし 乙欄', { yearEndAdjusted: false, officer: false, professional: false, hei: false }, 500_000],
    ['年調なし 丙欄', { yearEndAdjusted: false, officer: false, professional: false, hei: true }, 500_000],
  ])('when a %s is paid exactly the limit they are not filed; one yen more and they are', (_, flags, limit) => {
    const otsu: Record<number, string> = _.includes('乙欄') ? { 50: '1' } : {};
    expect(tax(row({ 17: String(limit), ...otsu }), flags)).toBe('excluded');
    expect(tax(row({ 17: String(limit + 1), ...otsu }), flags)).toBe('included');
  });

  it('when a leaver was not year-end adjusted, the limit is 250万 (役員 50万)', () => {
    const left = { 60: '2', 61: '07', 62: '09', 63: '30' };
    const f = { yearEndAdjusted: false, officer: false, professional: false, hei: false };
    expect(tax(row({ ...left, 17: '2500000' }), f)).toBe('excluded');
    expect(tax(row({ ...left, 17: '2500001' }), f)).toBe('included');
    expect(tax(row({ ...left, 17: '500000' }), { ...f, officer: true })).toBe('excluded');
    expect(tax(row({ ...left, 17: '500001' }), { ...f, officer: true })).toBe('included');
  });

  it('when 主たる給与 is over 2,000万 and not adjusted, the row is always filed', () => {
    expect(tax(row({ 17: '20000001' }), { yearEndAdjusted: false, officer: false, professional: false, hei: false })).toBe('included');
  });

  it('when a flag that changes the answer is missing, the row is undecided and the flag named; when no value of it changes the answer, it is decided with that reason', async () => {
    const unsure = routeRow(row({ 17: '3000000' }), { yearEndAdjusted: true }, R7);
    expect(unsure.taxOffice).toMatchObject({ status: 'undecided', missing: ['officer', 'professional'] });
    expect(unsure.sakuseiKubun).toBeUndefined();
    expect((await texts(unsure.problems))[0]).toContain('役員・士業');
    const low = routeRow(row({ 17: '400000' }), { yearEndAdjusted: true }, R7);
    expect(low.taxOffice).toMatchObject({ status: 'excluded', reason: 'sameWhateverFlags' });
    expect(low.sakuseiKubun).toBe('1');
    const high = routeRow(row({ 17: '30000000' }), {}, R7);
    expect(high.taxOffice).toMatchObject({ status: 'included', reason: 'sameWhateverFlags' });
    expect(high.sakuseiKubun).toBe('2');
  });

  it('when the 年分 rules say the 給報 counts as the 源泉徴収票 (the 令和9年 shape, as data), the 税務署 follows the 市区町村', () => {
    const deemed: RuleSet = { ...R7, taxOffice: { kind: 'same-as-municipal' } };
    const r = routeRow(row({ 17: '400000' }), {}, deemed);
    expect(r.taxOffice.status).toBe('included');
    expect(r.sakuseiKubun).toBe('2');
  });
});

describe('which 市区町村 (by col 139 code, never by name)', () => {
  const plan = (rows: PayRow[], opts = { omitSmallLeavers: false }) => planRouting(rows, () => adjusted(), 7, opts);

  it('when employees live in 東京都府中市 and 広島県府中市, there are two destinations with different codes', () => {
    const p = plan([row({ 139: '132063' }, 1), row({ 12: '広島県府中市府川町３１５', 139: '342084' }, 2)]);
    expect([...p.municipalities.keys()].sort()).toEqual(['13206', '34208']);
  });

  it('when two employees live in two wards of 横浜市, they roll up to one destination (city code; UNVERIFIED assumption)', () => {
    const p = plan([row({ 139: '141011' }, 1), row({ 139: '141020' }, 2)]);
    expect([...p.municipalities.keys()]).toEqual(['14100']);
    expect(p.rows[0]?.municipal).toMatchObject({ status: 'included', reason: 'wardRolledUp', written: '141003' });
  });

  it('when a code starts with 0, the leading zero is kept in the group and in what is written', () => {
    const p = plan([row({ 139: '012025' })]); // 函館市
    expect([...p.municipalities.keys()]).toEqual(['01202']);
    expect(p.rows[0]?.municipal).toMatchObject({ written: '012025' });
  });

  it('when a code has a wrong check digit or is missing, the row is a problem, shown first', () => {
    const p = plan([row({}, 1), row({ 139: '132064' }, 2), row({ 139: '' }, 3)]);
    expect(p.rows.map((r) => r.row.line)).toEqual([2, 3, 1]);
    expect(p.rows[0]?.problems.map((x) => x.code)).toEqual(['route.municipal.codeCheckDigit']);
    expect(p.problemCount).toBe(2);
  });

  it('when a leaver moved after leaving, they go to the municipality of their address at 退職時 (col 139), not the 1月1日 one', () => {
    const leaver = row({ 60: '2', 61: '07', 62: '05', 63: '31', 139: '132063' });
    const r = routeRow(leaver, adjusted({ residenceJan1Code: '342084' }), R7);
    expect(r.municipal).toMatchObject({ status: 'included', code: '13206', reason: 'leaverAtRetirement' });
    expect(r.problems).toEqual([]);
    const stayer = routeRow(row({ 139: '132063' }), adjusted({ residenceJan1Code: '342084' }), R7);
    expect(stayer.problems.map((x) => x.code)).toEqual(['route.municipal.codeDiffersFromJan1']);
  });

  it('when a leaver was paid 30万 or less, they are filed by default and omitted only if the company opts out; 300,001 is always filed', () => {
    const left = { 60: '2', 61: '07', 62: '03', 63: '31' };
    const small = row({ ...left, 17: '300000' });
    const over = row({ ...left, 17: '300001' });
    expect(routeRow(small, adjusted(), R7).municipal).toMatchObject({ status: 'included', reason: 'leaverSmallIncluded' });
    expect(routeRow(small, adjusted(), R7, { omitSmallLeavers: true }).municipal.status).toBe('excluded');
    expect(routeRow(small, adjusted(), R7, { omitSmallLeavers: true }).sakuseiKubun).toBeUndefined();
    expect(routeRow(over, adjusted(), R7, { omitSmallLeavers: true }).municipal.status).toBe('included');
  });

  it('when the plan is built, it counts each destination and the 特別/普通徴収 split for each 総括表', () => {
    const p = plan([row({ 17: '6000000' }, 1), row({ 134: '1' }, 2), row({ 139: '342084' }, 3)]);
    expect(p.taxOfficeCount).toBe(1);
    expect(p.selfCopyCount).toBe(3);
    expect(p.municipalities.get('13206')).toMatchObject({ special: 1, ordinary: 1 });
    expect(p.rows.map((r) => r.sakuseiKubun)).toEqual(['2', '1', '1']);
  });
});
