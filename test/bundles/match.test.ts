import { describe, expect, it } from '@jest/globals';
import { matchRows, type HeldPerson, type Resolution } from '../../server/bundles/input/match.js';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import type { PayRow } from '../../server/bundles/rows.js';
import { texts, unifiedCells } from './fixtures.js';

/**
 * Matching the year's pay rows to the persons held for the company (issue 15
 * §1): certain matches only; every doubt is a problem for staff, with the
 * reason in words, and staff's answers (link, 番号未提供) are honoured.
 */
function row(over: Record<number, string> = {}, line = 1, family: Partial<Pick<PayRow, 'dependents' | 'under16'>> = {}): PayRow {
  const r = toPayRow(unifiedCells(over), line, layoutFor(7)!).row;
  if (!r) throw new Error('fixture row invalid');
  return { ...r, ...family };
}
const self = (id: string, name: string, code: string | null, state = 'held'): HeldPerson => ({ id, name, furigana: null, employeeCode: code, relation: '本人', employeePersonId: null, state });
const kin = (id: string, name: string, relation: string, of: string, state = 'held'): HeldPerson => ({ id, name, furigana: null, employeeCode: null, relation, employeePersonId: of, state });
const SPOUSE = { 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00' };

describe('matching pay rows to held persons', () => {
  const held = [self('p1', '山田 太郎', '1001'), kin('p2', '山田 花子', '配偶者', 'p1'), self('p3', '佐藤 次郎', '1002'), self('p4', '佐藤 次郎', null)];

  it('when the 受給者番号 is held and the name agrees (全角/半角 spaces aside), 本人 and the spouse match without a problem', () => {
    const [m] = matchRows([row(SPOUSE)], held, []);
    expect(m!.self).toMatchObject({ status: 'matched', personId: 'p1', how: 'byCode' });
    expect(m!.family).toEqual([expect.objectContaining({ subject: 'spouse', status: 'matched', personId: 'p2' })]);
    expect(m!.problems).toEqual([]);
  });

  it('when the code is unknown and only the name agrees, nothing is linked: it is a suggestion staff must confirm', async () => {
    const [m] = matchRows([row({ 14: '佐藤　次郎', 138: '9999' })], [self('p4', '佐藤 次郎', null)], []);
    expect(m!.self).toMatchObject({ status: 'open', how: 'nameOnly', candidates: ['p4'] });
    expect(m!.self.personId).toBeUndefined();
    expect((await texts(m!.problems))[0]).toContain('生年月日');
  });

  it('when two held persons share the name, the row is ambiguous and both are offered', () => {
    const [m] = matchRows([row({ 14: '佐藤　次郎', 138: '' })], held, []);
    expect(m!.self).toMatchObject({ status: 'open', how: 'ambiguous' });
    expect([...m!.self.candidates].sort()).toEqual(['p3', 'p4']);
  });

  it('when the code is held under another name, staff decide (a re-used code is not the same person)', () => {
    const [m] = matchRows([row({ 14: '鈴木　一郎', 138: '1001' })], held, []);
    expect(m!.self).toMatchObject({ status: 'open', how: 'codeNameDiffers', candidates: ['p1'] });
  });

  it('when nobody matches, the row is unmatched and waits; its dependents wait for their employee', () => {
    const [m] = matchRows([row({ ...SPOUSE, 14: '無名　花子', 138: '7777' })], held, []);
    expect(m!.self).toMatchObject({ status: 'open', how: 'unmatched' });
    expect(m!.family[0]).toMatchObject({ status: 'waiting' });
    expect(m!.problems.map((p) => p.code)).toEqual(['match.self.unmatched']);
  });

  it('when the person is held for another company, the row is refused with that reason', async () => {
    const [m] = matchRows([row({ 14: '他社　太郎', 138: '5555' })], held, [], () => true);
    expect(m!.problems).toEqual([expect.objectContaining({ code: 'match.self.otherCompany', severity: 'error' })]);
    expect((await texts(m!.problems)).join('\n')).toMatch(/別の会社[\s\S]*another company/);
  });

  it('when a dependent named on the row has no number held for that employee, it is a problem, not a blank', async () => {
    const r = row({}, 1, { dependents: [{ furigana: 'ﾔﾏﾀﾞ ｲﾁﾛｳ', name: '山田　一郎', kubun: '00' }] });
    const [m] = matchRows([r], held, []);
    expect(m!.family[0]).toMatchObject({ subject: 'dependents.0', status: 'open', how: 'unmatched' });
    expect((await texts(m!.problems))[0]).toContain('山田　一郎');
  });

  it('when the person is known but their number was disposed, it says so (held without a number)', () => {
    const [m] = matchRows([row({ 138: '1003', 14: '田中　三郎' })], [self('p9', '田中 三郎', '1003', 'disposed')], []);
    expect(m!.self).toMatchObject({ status: 'open', how: 'noNumberHeld' });
  });

  it("staff's answers are used: a link makes a match, 番号未提供 keeps the note and is no longer open", () => {
    const rows = [row({ 14: '佐藤　次郎', 138: '' }, 1), row({ 14: '無名　花子', 138: '7777' }, 2)];
    const answers: Resolution[] = [
      { line: 1, subject: 'self', action: 'link', personId: 'p4', note: null },
      { line: 2, subject: 'self', action: 'not-provided', personId: null, note: '2025-11-01 書面で依頼、回答なし' },
    ];
    const [a, b] = matchRows(rows, held, answers);
    expect(a!.self).toMatchObject({ status: 'matched', personId: 'p4', how: 'linked' });
    expect(b!.self).toMatchObject({ status: 'notProvided', note: '2025-11-01 書面で依頼、回答なし' });
    expect([...a!.problems, ...b!.problems]).toEqual([]);
  });

  it('a link to a person of the wrong kind (a dependent as 本人) is not honoured: the row asks again', () => {
    const [m] = matchRows([row({ 14: '無名　花子', 138: '7777' })], held, [{ line: 1, subject: 'self', action: 'link', personId: 'p2', note: null }]);
    expect(m!.self.status).toBe('open');
  });
});
