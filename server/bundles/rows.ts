/**
 * The typed row both inputs (統一CSV, kinko's template) become. It never
 * holds a number: every ★ cell of `cells` is blank (year-end.md §7 rule 1 —
 * numbers come from the vault, last, only while sealing). Types only, so the
 * 本人交付 path can use it without reaching anything that reads files.
 */
export interface FamilyMember {
  readonly furigana: string;
  readonly name: string;
  /** 区分 (col 98 …): `00`, `01` 非居住者 (UNVERIFIED codes). */
  readonly kubun: string;
}

export type MidYear = 'none' | 'joined' | 'left';

export interface PayRow {
  /** 1-based line in the input file. */
  readonly line: number;
  readonly nenbun: number;
  /** The layout's cells in order, ★ cells blank. The writer starts from these. */
  readonly cells: readonly string[];
  readonly employeeCode: string;
  readonly name: string;
  readonly furigana: string;
  readonly title: string;
  readonly address: string;
  readonly birth?: { readonly era: string; readonly year: string; readonly month: string; readonly day: string };
  /** 支払金額 (col 17), yen. */
  readonly pay: number;
  /** 乙欄適用 (col 50). */
  readonly otsu: boolean;
  readonly midYear: { readonly kind: MidYear; readonly year: string; readonly month: string; readonly day: string };
  readonly deathRetirement: boolean;
  /** 災害者 (col 58). */
  readonly disaster: boolean;
  /** 災害者に係る徴収猶予税額 (col 70), yen. */
  readonly disasterDeferredTax: number;
  /** 普通徴収 (col 134). */
  readonly futsu: boolean;
  /** 提出先市町村コード (col 139) as written: text, leading zeros kept. */
  readonly municipalityCode: string;
  readonly designatedNumber: string;
  readonly spouse?: FamilyMember;
  /** 控除対象扶養親族, in order; the 5th and later come only from the template or the vault. */
  readonly dependents: readonly FamilyMember[];
  /** 16歳未満の扶養親族, in order. */
  readonly under16: readonly FamilyMember[];
}

/**
 * Facts about a person that the CSV does not carry (year-end.md §2): the later
 * step takes them from the template or from staff. Undefined = not known yet,
 * which routing treats as a problem whenever the answer would depend on it.
 */
export interface PersonFlags {
  /** 役員 (相談役・顧問 included). */
  readonly officer?: boolean;
  /** 弁護士・司法書士・税理士等, paid as 給与. */
  readonly professional?: boolean;
  /** 年末調整済. */
  readonly yearEndAdjusted?: boolean;
  /** 丙欄 (日雇い): not a 統一CSV column. */
  readonly hei?: boolean;
  /** The 1月1日 address's municipality code, when the vault or staff know it (a check, not the route). */
  readonly residenceJan1Code?: string;
}
