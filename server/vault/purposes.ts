/**
 * The purposes for which a number may be revealed (番号法 §9: only the
 * statutory social-insurance and tax procedures). Keys are stable and go to
 * the audit trail's details; the Japanese label (the procedure's own name) is
 * the audit entry's `purpose`, so the trail reads plainly without a lookup.
 * Texts: vault.json `vault.purposes.<key>`.
 */
export const REVEAL_PURPOSES = [
  'employment-insurance',
  'health-pension',
  'withholding-slip',
  'salary-report',
  'workers-comp',
  'pension-category-3',
  'other-statutory',
] as const;

export type RevealPurpose = (typeof REVEAL_PURPOSES)[number];

/** The Japanese labels, as recorded in the audit trail (the same as vault.json ja). */
export const PURPOSE_LABELS_JA: Readonly<Record<RevealPurpose, string>> = Object.freeze({
  'employment-insurance': '雇用保険',
  'health-pension': '健康保険・厚生年金保険',
  'withholding-slip': '源泉徴収票・支払調書',
  'salary-report': '給与支払報告書',
  'workers-comp': '労災保険',
  'pension-category-3': '国民年金第3号被保険者',
  'other-statutory': 'その他法定調書',
});

export function isRevealPurpose(value: unknown): value is RevealPurpose {
  return typeof value === 'string' && (REVEAL_PURPOSES as readonly string[]).includes(value);
}
