import { describe, expect, it } from '@jest/globals';
import { countPeople, verdictFor } from '../../server/oversight/breach-verdict.js';
import type { ExposureState } from '../../server/oversight/exposure.js';
import { PeopleTally } from '../../server/oversight/people-tally.js';

/** The 規則2条 triggers and the counting rule, at their edges (retention-and-breach.md §8 "Scope query"). */
const DISCOVERED = new Date('2026-04-01T01:00:00Z');
const noFlags = { fraud: false, publicView: false };

function people(n: number, state: ExposureState, company = 'c1') {
  const t = new PeopleTally();
  t.add(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, company_id: company, number_index: `idx${i}`, relation: i % 3 === 0 ? '本人' : i % 3 === 1 ? '配偶者' : '扶養親族1' })), state);
  return t;
}

describe('breach verdict', () => {
  it('when 100 people were seen in clear, it is under the threshold; at 101 a report is due', () => {
    expect(verdictFor(countPeople(people(100, 'plain').entries()), { drops: 0, submissions: 0 }, noFlags, DISCOVERED).reportable).toBe('no');
    const over = verdictFor(countPeople(people(101, 'plain').entries()), { drops: 0, submissions: 0 }, noFlags, DISCOVERED);
    expect(over.reportable).toBe('yes');
    expect(over.reasons.map((r) => r.key)).toContain('overLimit');
    expect(over.quickDue).toBe('2026-04-06');
    expect(over.finalDue).toBe('2026-05-01');
  });

  it('when 101 people are all encrypted with keys apart, the director decides (the exemption\'s reach is unverified)', () => {
    const v = verdictFor(countPeople(people(101, 'vaultApart').entries()), { drops: 0, submissions: 0 }, noFlags, DISCOVERED);
    expect(v.reportable).toBe('decide');
    expect(v.notExempt).toBe(0);
    expect(v.reasons.map((r) => r.key)).toEqual(['overLimitIfNoExemption', 'exemptionLikely']);
  });

  it('when one person is affected for an unlawful purpose, it is reportable and the 確報 moves to 60 days', () => {
    const v = verdictFor(countPeople(people(1, 'vaultApart').entries()), { drops: 0, submissions: 0 }, { fraud: true, publicView: false }, DISCOVERED);
    expect(v.reportable).toBe('yes');
    expect(v.finalDays).toBe(60);
    expect(v.finalDue).toBe('2026-05-31');
  });

  it('when nobody is in scope, the verdict says so and no deadline runs', () => {
    const v = verdictFor(countPeople(new PeopleTally().entries()), { drops: 0, submissions: 0 }, { fraud: true, publicView: true }, DISCOVERED);
    expect(v.reportable).toBe('none');
    expect(v.quickDue).toBeNull();
  });

  it('when the same number appears as an employee and as a spouse, it is one person in the worst state, counted as 本人', () => {
    const t = new PeopleTally();
    t.add([{ id: 'a', company_id: 'c1', number_index: 'same', relation: '配偶者' }], 'vaultApart');
    t.add([{ id: 'b', company_id: 'c1', number_index: 'same', relation: '本人' }], 'plain');
    t.add([{ id: 'c', company_id: 'c2', number_index: 'same', relation: '本人' }], 'vaultApart');
    const c = countPeople(t.entries());
    expect(c.people).toBe(2);
    expect(c.byState).toMatchObject({ plain: 1, vaultApart: 1 });
    expect(c.byRelation).toMatchObject({ self: 2, spouse: 0 });
  });
});
