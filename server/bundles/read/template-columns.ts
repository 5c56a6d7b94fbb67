import { COL, FAMILY, FAMILY_OFFSET } from '../layout/fields.js';

/**
 * kinko's own template (offered in the room): a header row a person can read,
 * one column per thing a payroll clerk knows. Each header maps onto a 統一CSV
 * column, a date converted to the layout's 和暦 cells, or a routing flag the
 * 統一CSV does not carry. No number column exists: numbers come from the vault.
 */
export type TemplateTarget =
  | { kind: 'cell'; col: number; amount?: true; yesNo?: true }
  | { kind: 'date'; use: 'birth' | 'joined' | 'left' }
  | { kind: 'flag'; flag: 'officer' | 'professional' | 'yearEndAdjusted' | 'hei' }
  | { kind: 'family'; group: 'spouse' | 'dependents' | 'under16'; index: number; field: 'name' | 'furigana' };

export const TEMPLATE_HEADERS: ReadonlyMap<string, TemplateTarget> = new Map<string, TemplateTarget>([
  ['受給者番号', { kind: 'cell', col: COL.employeeCode }],
  ['氏名', { kind: 'cell', col: COL.name }],
  ['フリガナ', { kind: 'cell', col: COL.furigana }],
  ['生年月日', { kind: 'date', use: 'birth' }],
  ['住所', { kind: 'cell', col: COL.address }],
  ['役職名', { kind: 'cell', col: COL.title }],
  ['種別', { kind: 'cell', col: COL.paymentType }],
  ['支払金額', { kind: 'cell', col: COL.pay, amount: true }],
  ['給与所得控除後の金額', { kind: 'cell', col: COL.afterDeduction, amount: true }],
  ['所得控除の額の合計額', { kind: 'cell', col: COL.deductionsTotal, amount: true }],
  ['源泉徴収税額', { kind: 'cell', col: COL.tax, amount: true }],
  ['社会保険料等の金額', { kind: 'cell', col: COL.socialInsurance, amount: true }],
  ['乙欄', { kind: 'cell', col: COL.otsu, yesNo: true }],
  ['死亡退職', { kind: 'cell', col: COL.deathRetirement, yesNo: true }],
  ['災害者', { kind: 'cell', col: COL.disaster, yesNo: true }],
  ['普通徴収', { kind: 'cell', col: COL.futsu, yesNo: true }],
  ['就職日', { kind: 'date', use: 'joined' }],
  ['退職日', { kind: 'date', use: 'left' }],
  ['摘要', { kind: 'cell', col: COL.tekiyo }],
  ['提出先市町村コード', { kind: 'cell', col: COL.municipality }],
  ['指定番号', { kind: 'cell', col: COL.designatedNumber }],
  ['役員', { kind: 'flag', flag: 'officer' }],
  ['士業', { kind: 'flag', flag: 'professional' }],
  ['年末調整済', { kind: 'flag', flag: 'yearEndAdjusted' }],
  ['丙欄', { kind: 'flag', flag: 'hei' }],
  ['配偶者 氏名', { kind: 'family', group: 'spouse', index: 0, field: 'name' }],
  ['配偶者 フリガナ', { kind: 'family', group: 'spouse', index: 0, field: 'furigana' }],
]);

/** 扶養親族1 氏名 … 扶養親族N フリガナ, 16歳未満1 氏名 …: any number of them (5th and later go to cols 132/133). */
const FAMILY_HEADER = /^(扶養親族|16歳未満)(\d{1,2}) (氏名|フリガナ)$/;

export function templateTarget(header: string): TemplateTarget | undefined {
  const h = header.normalize('NFKC').trim().replace(/\s+/g, ' ');
  const fixed = TEMPLATE_HEADERS.get(h);
  if (fixed) return fixed;
  const m = FAMILY_HEADER.exec(h);
  if (!m) return undefined;
  return { kind: 'family', group: m[1] === '扶養親族' ? 'dependents' : 'under16', index: Number(m[2]) - 1, field: m[3] === '氏名' ? 'name' : 'furigana' };
}

/** The 統一CSV column of a family member's field, for the first four. */
export function familyCol(group: 'spouse' | 'dependents' | 'under16', index: number, field: 'name' | 'furigana'): number | undefined {
  const first = group === 'spouse' ? (index === 0 ? FAMILY.spouse : undefined) : FAMILY[group][index];
  return first === undefined ? undefined : first + FAMILY_OFFSET[field];
}

export const REQUIRED_HEADERS = ['氏名', 'フリガナ', '支払金額', '提出先市町村コード'] as const;
