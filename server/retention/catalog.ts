/**
 * The retention rules kinko starts with, as data (../../shared/domain/
 * retention-and-breach.md §1). They are seeded into the database, where the
 * director can correct a period or mark a basis confirmed; the code only
 * counts. A period kinko could not confirm in a statute is seeded as
 * unconfirmed and shown so, never silently as settled.
 */

/** How a document's period is counted. */
export type Anchor =
  /** from the day after the matter ends (完結: the person left, or left the household) */
  | 'completion'
  /** 所得税法施行規則76条の3: from 1月11日 of the year after the 年分 in which the person last had one */
  | 'after-tax-year';

/** Whose numbers a document carries: the employee's only, or also spouse's and dependents'. */
export type Carries = 'employee' | 'family';

export interface DocumentType {
  id: string;
  nameJa: string;
  nameEn: string;
  /** null: no period is known — the end is shown as unknown until the office sets one */
  years: number | null;
  anchor: Anchor;
  carries: Carries;
  /** false: the period is commonly cited but no statute was found (UNVERIFIED in the domain notes) */
  confirmed: boolean;
  basis: string;
}

/** The services an office contracts per client company, and the documents each produces that hold a number. */
export interface Service {
  id: string;
  nameJa: string;
  nameEn: string;
  documents: string[];
}

export const DEFAULT_DOCUMENT_TYPES: readonly DocumentType[] = Object.freeze([
  { id: 'fuyo-shinkoku', nameJa: '扶養控除等申告書', nameEn: "employee's declaration for dependants", years: 7, anchor: 'after-tax-year', carries: 'family', confirmed: true, basis: '所得税法施行規則76条の3' },
  { id: 'koyo-hihokensha', nameJa: '雇用保険 被保険者に関する書類', nameEn: 'employment insurance: papers on the insured person', years: 4, anchor: 'completion', carries: 'employee', confirmed: true, basis: '雇用保険法施行規則143条' },
  { id: 'koyo-other', nameJa: '雇用保険 その他の書類', nameEn: 'employment insurance: other papers', years: 2, anchor: 'completion', carries: 'employee', confirmed: true, basis: '雇用保険法施行規則143条' },
  { id: 'rosai', nameJa: '労災保険 書類', nameEn: "workers' accident insurance papers", years: 3, anchor: 'completion', carries: 'employee', confirmed: true, basis: '労働者災害補償保険法施行規則51条' },
  { id: 'kenpo-kosei', nameJa: '健康保険・厚生年金保険 書類', nameEn: 'health insurance and employees’ pension papers', years: 2, anchor: 'completion', carries: 'family', confirmed: true, basis: '健康保険法施行規則34条・厚生年金保険法施行規則28条' },
  { id: 'gensen-copy', nameJa: '源泉徴収票・給与支払報告書（控）', nameEn: "payer's copy of the withholding slip / salary payment report", years: 7, anchor: 'after-tax-year', carries: 'family', confirmed: false, basis: '法令上の根拠未確認（7年とする例が多い）' },
]);

export const DEFAULT_SERVICES: readonly Service[] = Object.freeze([
  { id: 'shakai-hoken', nameJa: '社会保険（健康保険・厚生年金）', nameEn: 'social insurance (health, pension)', documents: ['kenpo-kosei'] },
  { id: 'rodo-hoken', nameJa: '労働保険（雇用保険・労災保険）', nameEn: 'labour insurance (employment, accident)', documents: ['koyo-hihokensha', 'koyo-other', 'rosai'] },
  { id: 'nencho', nameJa: '年末調整・源泉徴収票', nameEn: 'year-end adjustment and withholding slips', documents: ['fuyo-shinkoku', 'gensen-copy'] },
  { id: 'kyuyo-hokoku', nameJa: '給与支払報告書', nameEn: 'salary payment reports', documents: ['gensen-copy'] },
]);
