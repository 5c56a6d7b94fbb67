import { describe, expect, it } from '@jest/globals';
import { addYears, isIsoDate, japanToday } from '../../server/retention/calendar.js';
import { DEFAULT_DOCUMENT_TYPES, DEFAULT_SERVICES, type DocumentType } from '../../server/retention/catalog.js';
import { basisLineText, retentionSummary } from '../../server/retention/basis-text.js';
import { isDue, retentionOf, type CompanyFacts, type PersonFacts } from '../../server/retention/retention-end.js';

const rules = { documents: DEFAULT_DOCUMENT_TYPES, services: DEFAULT_SERVICES };
const employee = (leftOn: string | null): PersonFacts => ({ relation: '本人', leftOn });
const company = (...services: string[]): CompanyFacts => ({ services });

describe('when a number may go (retention-and-breach.md §1–2)', () => {
  it('when an employee who left on 2026-03-31 had a 扶養控除等申告書, the number may go from 2034-01-11 and not a day before', () => {
    const r = retentionOf(employee('2026-03-31'), { services: ['nencho'] }, {}, { ...rules, documents: rules.documents.filter((d) => d.id === 'fuyo-shinkoku') });
    expect(r).toMatchObject({ state: 'scheduled', from: '2034-01-11', unconfirmed: false });
    expect(isDue(r, '2034-01-10')).toBe(false);
    expect(isDue(r, '2034-01-11')).toBe(true);
    expect(r.basis.map((l) => basisLineText(l))).toEqual(['退職日 2026-03-31 + 扶養控除等申告書 7年 → 2034-01-11 以降に廃棄']);
    expect(basisLineText(r.basis[0], 'en')).toBe("left 2026-03-31 + employee's declaration for dependants 7 years → may be disposed of from 2034-01-11");
  });

  it('when a company has labour insurance, the employment-insurance papers on the insured person (4 years) outlast the other ones (2 years)', () => {
    const r = retentionOf(employee('2026-03-31'), company('rodo-hoken'), {}, rules);
    expect(r).toMatchObject({ state: 'scheduled', from: '2030-04-01' });
    const lines = r.basis.map((l) => basisLineText(l));
    expect(lines).toContain('退職日 2026-03-31 + 雇用保険 被保険者に関する書類 4年 → 2030-04-01 以降に廃棄');
    expect(lines).toContain('退職日 2026-03-31 + 雇用保険 その他の書類 2年 → 2028-04-01 以降に廃棄');
  });

  it('when a number is on two documents, it is kept until the later of the two ends', () => {
    const r = retentionOf(employee('2026-03-31'), company('shakai-hoken', 'rodo-hoken'), {}, rules);
    expect(r).toMatchObject({ state: 'scheduled', from: '2030-04-01' }); // 雇保 4 years beats 健保 2 years
  });

  it('when the employee is still employed, there is no end date', () => {
    const r = retentionOf(employee(null), company('nencho'), {}, rules);
    expect(r.state).toBe('in-service');
    expect(retentionSummary(r)).toBe('在職中のため廃棄日なし');
  });

  it("when the payer's copy of the withholding slip is the longest-kept document, the date is shown with its basis marked unconfirmed, never as settled", () => {
    const r = retentionOf(employee('2026-03-31'), company('kyuyo-hokoku'), {}, rules);
    expect(r).toMatchObject({ state: 'scheduled', from: '2034-01-11', unconfirmed: true });
    expect(basisLineText(r.basis[0])).toContain('（根拠未確認）');
    expect(retentionSummary(r)).toBe('2034-01-11 以降に廃棄（根拠未確認の期間を含む）');
  });

  it('when a document has no period set, the end is unknown, not guessed', () => {
    const noPeriod: DocumentType = { ...DEFAULT_DOCUMENT_TYPES[0], id: 'x', nameJa: '不明な書類', years: null };
    const r = retentionOf(employee('2026-03-31'), { services: ['s'] }, {}, { documents: [noPeriod], services: [{ id: 's', nameJa: 's', nameEn: 's', documents: ['x'] }] });
    expect(r).toMatchObject({ state: 'unknown', reason: 'period-unknown' });
    expect(r.basis.map((l) => basisLineText(l))).toEqual(['不明な書類: 保存期間が未設定（不明）']);
  });

  it('when the company has no contracted services set, the end is unknown', () => {
    expect(retentionOf(employee('2026-03-31'), company(), {}, rules)).toMatchObject({ state: 'unknown', reason: 'no-services' });
  });

  it('when only labour insurance is contracted, a dependent has no document carrying their number and the end is unknown', () => {
    const r = retentionOf({ relation: '扶養親族1', leftOn: '2026-03-31' }, company('rodo-hoken'), {}, rules);
    expect(r).toMatchObject({ state: 'unknown', reason: 'no-document' });
  });

  it('when a dependent left the household before the employee left, their own date counts', () => {
    const r = retentionOf({ relation: '扶養親族1', leftOn: null, leftHouseholdOn: '2025-06-30' }, company('nencho'), {}, rules);
    expect(r).toMatchObject({ state: 'scheduled', from: '2033-01-11' });
    expect(basisLineText(r.basis[0])).toMatch(/^扶養から外れた日 2025-06-30 \+ 扶養控除等申告書 7年/);
  });

  it('when a hold stands, the number is never due, whatever the date', () => {
    const r = retentionOf(employee('2020-03-31'), company('shakai-hoken'), { hold: { reason: '訴訟対応' } }, rules);
    expect(r.state).toBe('scheduled');
    expect(isDue(r, '2099-01-01')).toBe(false);
    expect(retentionSummary(r)).toContain('保留中: 訴訟対応');
  });

  it('when a disposal is booked by hand for a later date, that date counts and is named', () => {
    const r = retentionOf(employee('2026-03-31'), company('shakai-hoken'), { reservedOn: '2029-03-31' }, rules);
    expect(r).toMatchObject({ state: 'scheduled', from: '2029-03-31' });
    expect(basisLineText(r.basis[r.basis.length - 1])).toBe('削除予約 2029-03-31');
  });

  it('when the contract with the client ends, everyone of that company is scheduled from the next day, employed or not', () => {
    const c = { services: ['nencho'], contractEndOn: '2027-03-31' };
    expect(retentionOf(employee(null), c, {}, rules)).toMatchObject({ state: 'scheduled', from: '2027-04-01' });
    expect(retentionOf(employee('2026-03-31'), c, {}, rules)).toMatchObject({ state: 'scheduled', from: '2027-04-01' });
    expect(basisLineText(retentionOf(employee(null), c, {}, rules).basis[0])).toBe('契約終了 2027-03-31 → 2027-04-01 以降に返却又は廃棄');
  });
});

describe('the calendar (民法140–143)', () => {
  it('when a period starts on 29 February, it ends with February and the number may go on 1 March', () => {
    expect(addYears('2028-02-29', 1)).toBe('2029-03-01');
    expect(addYears('2028-02-29', 4)).toBe('2032-02-29');
  });
  it('when a date is not on the calendar, it is not a date', () => {
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-03-31')).toBe(true);
  });
  it("when it is 23:30 UTC, Japan's date is already the next day", () => {
    expect(japanToday(new Date('2034-01-10T15:30:00Z'))).toBe('2034-01-11');
    expect(japanToday(new Date('2034-01-10T14:59:00Z'))).toBe('2034-01-10');
  });
});
