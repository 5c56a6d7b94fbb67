/**
 * Recognises header cells by what they say, not where they are: real files
 * write 個人番号, マイナンバー, 個人番号（マイナンバー）, 配偶者の個人番号,
 * 扶養親族１ 個人番号, My Number … in any width, spacing and brackets.
 * Pure string work on short texts; the only regexes are linear.
 */
export type HeaderRole = 'number' | 'name' | 'sei' | 'mei' | 'furigana' | 'seiKana' | 'meiKana' | 'code' | 'relationLabel' | 'leftOn';
export type RelationKind = 'self' | 'spouse' | 'dependent';

export interface HeaderInfo {
  role: HeaderRole;
  relation: RelationKind;
  /** 扶養親族1 → 1; absent when the header names no index. */
  index?: number;
  /** True when the header itself named the relation (本人/配偶者/扶養親族 …). */
  explicitRelation: boolean;
  /** Normalised header, for tie-breaking (shorter = plainer). */
  norm: string;
}

const MAX_HEADER = 40;

/** NFKC (full-width → half), lower case, no spaces, brackets or punctuation. */
export function normaliseHeader(raw: string): string {
  if (raw.length > 200) return '';
  return raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\u3000()[\]{}【】「」『』〔〕〈〉《》<>:;・･.,、。'"‘’“”\-‐－_/\\|#*※?？!！=~〜]/g, '');
}

const NUMBER = /個人番号|マイナンバー|mynumber|myno|個人no|individualnumber|personalnumber/;
// Headers that mention the number but hold something else (a card flag, a date, a title).
const NOT_NUMBER = /カード|card|有無|提出|確認|写し|写|済|種類|書類|通知|一覧|名簿|台帳|リスト|list|年分|交付|期限|日付|取得日|記載|方法|変更/;
const CODE = /(社員|従業員|職員|スタッフ|staff|employee)(番号|コード|no|number|code|cd|id)|個人コード|^id$|^コード$/;
const RELATION_LABEL = /続柄|続き柄|つづきがら|relationship|^relation$/;
/** The employee's 退職日 (a roster may carry it: ingest offers it as a departure to record). */
const LEFT_ON = /^(退職|退社|離職)(年月日|日|日付)$|^(dateofleaving|leavingdate|terminationdate)$/;
const SPOUSE = /控除対象配偶者|源泉控除対象配偶者|配偶者|spouse|妻|夫/;
const DEPENDENT = /控除対象扶養親族|扶養親族|被扶養者|扶養家族|扶養者|扶養|家族|親族|dependents?|dependants?/;
const SELF = /本人|従業員|社員|職員|employee|staff/;
const AGE_PHRASE = /\d+歳(未満|以上)?/g;
const FURIGANA = /フリガナ|ふりがな|カナ|かな|よみがな|ヨミガナ|よみ|ヨミ|読み|kana|furigana|reading/;
const NAME = /氏名|名前|なまえ|姓名|^name$|fullname|お名前|^namae$/;
const NOT_NAME = /会社|部署|所属|事業所|支店|店舗|ファイル|名称|病院|学校|銀行|口座|保険者|組合|市区町村|作成者|担当者|届出/;

function relationOf(norm: string): { relation: RelationKind; index?: number; rest: string; explicit: boolean } {
  const plain = norm.replace(AGE_PHRASE, '');
  let m = plain.match(SPOUSE);
  if (m) return { relation: 'spouse', rest: plain.replace(m[0], ''), explicit: true };
  m = plain.match(DEPENDENT);
  if (m) {
    const rest = plain.replace(m[0], '');
    const idx = rest.match(/(\d{1,2})/);
    const index = idx ? Number(idx[1]) : undefined;
    return { relation: 'dependent', index: index && index > 0 ? index : undefined, rest, explicit: true };
  }
  m = plain.match(SELF);
  if (m) return { relation: 'self', rest: plain.replace(m[0], ''), explicit: true };
  return { relation: 'self', rest: plain, explicit: false };
}

function stripFiller(rest: string): string {
  return rest.replace(/\d+|の|人目|第|欄/g, '');
}

/** The role of one header cell, or null when it is none of the columns kinko reads. */
export function classifyHeader(raw: string): HeaderInfo | null {
  const norm = normaliseHeader(raw);
  if (!norm || norm.length > MAX_HEADER) return null;
  const rel = relationOf(norm);
  const base = { relation: rel.relation, index: rel.index, explicitRelation: rel.explicit, norm };
  if (NUMBER.test(norm)) return NOT_NUMBER.test(norm) ? null : { ...base, role: 'number' };
  if (CODE.test(norm)) return { ...base, relation: 'self', index: undefined, role: 'code' };
  if (LEFT_ON.test(norm)) return { ...base, relation: 'self', index: undefined, role: 'leftOn' };
  if (RELATION_LABEL.test(norm)) return { ...base, role: 'relationLabel' };
  const rest = stripFiller(rel.rest);
  if (/^(セイ|せい)$/.test(rest)) return { ...base, role: 'seiKana' };
  if (/^(メイ|めい)$/.test(rest)) return { ...base, role: 'meiKana' };
  const kana = rest.match(FURIGANA);
  if (kana) {
    const part = rest.replace(kana[0], '');
    if (/^(姓|氏|苗字|名字)$/.test(part)) return { ...base, role: 'seiKana' };
    if (/^名$/.test(part)) return { ...base, role: 'meiKana' };
    return { ...base, role: 'furigana' };
  }
  if (NOT_NAME.test(rest)) return null;
  if (/^(姓|氏|苗字|名字|lastname|familyname|surname)$/.test(rest)) return { ...base, role: 'sei' };
  if (/^(名|firstname|givenname)$/.test(rest)) return { ...base, role: 'mei' };
  if (NAME.test(rest)) return { ...base, role: 'name' };
  // 「配偶者」「扶養親族1」 alone above a name column of their group is read as that group's name.
  if (rest === '' && rel.explicit && rel.relation !== 'self') return { ...base, role: 'name' };
  return null;
}

/**
 * A cell of the row above the header that labels a column group
 * (「配偶者」「扶養親族（1人目）」「本人」 over merged cells), or null.
 */
export function groupLabel(raw: string): { relation: RelationKind; index?: number } | null {
  const norm = normaliseHeader(raw);
  if (!norm || norm.length > MAX_HEADER) return null;
  const rel = relationOf(norm);
  if (!rel.explicit) return null;
  const rest = stripFiller(rel.rest);
  if (!/^(情報|について|分|欄|記入欄)?$/.test(rest)) return null;
  return { relation: rel.relation, index: rel.index };
}

/** The relation a 続柄 cell names on a one-person-per-row sheet. */
export function relationFromLabel(label: string): RelationKind | null {
  const n = normaliseHeader(label);
  if (!n) return null;
  if (/^(本人|世帯主|従業員|社員)$/.test(n)) return 'self';
  if (/^(妻|夫|配偶者|spouse|wife|husband)$/.test(n)) return 'spouse';
  return 'dependent';
}
