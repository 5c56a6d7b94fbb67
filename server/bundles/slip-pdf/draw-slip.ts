import type { Canvas } from './canvas.js';
import { CELLS, FAMILY_FORM, FAMILY_ROWS, familyGrid, familyRows, G } from './slip-layout.js';

/**
 * One 源泉徴収票's person-specific part (year-end.md §6), from a plain "what
 * to print" object: layout only, no data access. It prints exactly the strings
 * it is given — a number box holds whatever the caller put in `number` (the
 * numbered copies' caller passes the vault's number, the 本人交付 caller an
 * empty string), so this file cannot leak what it never receives. Amounts
 * come as the 統一CSV holds them (yen, digits) and get thousands separators.
 */
export interface SlipPerson {
  readonly furigana: string;
  readonly name: string;
  readonly kubun: string;
  readonly number: string;
}

export interface SlipDate {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

export interface SlipPrint {
  readonly payee: { readonly address: string; readonly employeeCode: string; readonly number: string; readonly title: string; readonly name: string; readonly furigana: string };
  readonly amounts: { readonly paymentType: string; readonly pay: string; readonly afterDeduction: string; readonly deductionsTotal: string; readonly tax: string; readonly socialInsurance: string };
  readonly tekiyo: string;
  readonly spouse?: SlipPerson | undefined;
  /** 控除対象扶養親族, all of them: the 5th and later get rows too (the table grows, the type shrinks). */
  readonly dependents: readonly SlipPerson[];
  readonly under16: readonly SlipPerson[];
  readonly midYear: { readonly kind: 'none' | 'joined' | 'left' } & SlipDate;
  /** `era` is the 元号's name (令和 …), not its CSV code. */
  readonly birth?: ({ readonly era: string } & SlipDate) | undefined;
  readonly payer: { readonly number: string; readonly address: string; readonly name: string; readonly phone: string };
}

const VALUE = 7;

/** 6000000 → 6,000,000; anything that is not plain digits prints as written. */
export function yen(v: string): string {
  const t = v.trim();
  return /^\d+$/.test(t) ? t.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, ',') : t;
}

/** 07 → 7: the form's 年・月・日 boxes hold plain numbers. */
const plain = (v: string) => (/^\d+$/.test(v.trim()) ? String(Number(v)) : v.trim());

/**
 * 区分: the form's box is for marks such as 非居住者; `00` (UNVERIFIED code
 * for "nothing to mark", year-end.md §10) and blank print nothing, any other
 * code prints as given rather than as a guessed meaning.
 */
const kubunMark = (k: string) => (k === '' || k === '00' ? '' : k);

/** Digits one per cell, right-aligned: a 12-digit 個人番号 in the 13-cell payer box leaves the first cell empty (year-end.md §5). */
function digits(c: Canvas, value: string, x: number, y: number, w: number, h: number, n: number, size = VALUE): void {
  const chars = [...value.replace(/\s/g, '')].slice(-n);
  const cell = w / n;
  c.spaced(chars.join(''), x + cell * (n - chars.length), y + h * 0.35 + (h * 0.65 - size) / 2, size, cell);
}

function payee(c: Canvas, s: SlipPrint): void {
  const p = G.payee;
  c.fit(s.payee.address, p.side + 3, p.top + 9, p.addrRight - p.side - 6, p.bottom - p.top - 11, 8);
  c.fit(s.payee.employeeCode, p.labelRight + 3, p.top, G.x1 - p.labelRight - 6, p.row1 - p.top, VALUE);
  digits(c, s.payee.number, p.labelRight, p.row1, G.x1 - p.labelRight, p.row2 - p.row1, CELLS.self);
  c.fit(s.payee.title, p.addrRight + 3, p.row2 + 9, p.titleRight - p.addrRight - 6, p.bottom - p.row2 - 11, VALUE);
  c.fit(s.payee.furigana, p.titleRight + 30, p.row2 + 1, G.x1 - p.titleRight - 33, 8, 5.5);
  c.fit(s.payee.name, p.titleRight + 14, p.row2 + 11, G.x1 - p.titleRight - 17, p.bottom - p.row2 - 12, 10);
}

function amounts(c: Canvas, s: SlipPrint): void {
  const a = G.amounts;
  const values = [s.amounts.paymentType, yen(s.amounts.pay), yen(s.amounts.afterDeduction), yen(s.amounts.deductionsTotal), yen(s.amounts.tax)];
  values.forEach((v, i) => {
    const [l, r] = [a.cols[i] as number, a.cols[i + 1] as number];
    c.fit(v, l + 3, a.head + 5, r - l - 8, a.bottom - a.head - 6, i === 0 ? VALUE : 9, i === 0 ? 'center' : 'right');
  });
  const m = G.middle;
  c.fit(yen(s.amounts.socialInsurance), G.x0 + 3, m.head + 6, m.split - G.x0 - 8, 14, 9, 'right');
  c.fit(s.tekiyo, m.split + 4, m.top + 9, G.x1 - m.split - 8, m.bottom - m.top - 11, 6.5, 'left', 'top');
}

function familyRow(c: Canvas, x: number, y: number, h: number, p: SlipPerson | undefined): void {
  if (!p) return;
  const f = G.family;
  const right = x + (G.mid - G.x0);
  const nameX = x + (f.label - G.x0);
  const nameW = f.name - f.label;
  const kana = h >= 9 ? Math.min(3.8, h * 0.3) : 0;
  if (kana) c.fit(p.furigana, nameX + 2, y + 0.5, nameW - 4, kana * 1.1, kana);
  c.fit(p.name, nameX + 2, y + kana * 1.1, nameW - 4, h - kana * 1.1, Math.min(6.5, h * 0.6));
  c.fit(kubunMark(p.kubun), x + (f.name - G.x0), y, f.kubun - f.name, h, Math.min(5.5, h * 0.6), 'center');
  digits(c, p.number, x + (f.kubun - G.x0), y, right - x - (f.kubun - G.x0), h, CELLS.self, Math.min(5.5, h * 0.55));
}

/**
 * The family table: 配偶者 and 控除対象扶養親族 on the left, 16歳未満 on the
 * right. The usual grid (FAMILY_ROWS rows) is a form drawn once per document;
 * a person with more dependants gets a grid of their own, with more, smaller
 * rows — nobody is left off the slip.
 */
function family(c: Canvas, s: SlipPrint): void {
  const f = G.family;
  const left = [s.spouse, ...s.dependents];
  const rows = familyRows(left.length, s.under16.length);
  if (rows === FAMILY_ROWS) c.form(FAMILY_FORM);
  else familyGrid(c, rows, s.under16.length);
  const h = (f.bottom - f.head) / rows;
  for (let i = 0; i < rows; i++) {
    familyRow(c, G.x0, f.head + i * h, h, left[i]);
    familyRow(c, G.mid, f.head + i * h, h, s.under16[i]);
  }
}

function dates(c: Canvas, s: SlipPrint): void {
  const d = G.dates;
  const put = (v: string, xs: readonly number[], i: number) => c.fit(v, (xs[i] as number) + 1, d.head, (xs[i + 1] as number) - (xs[i] as number) - 2, d.bottom - d.head, VALUE, 'center');
  const m = s.midYear;
  if (m.kind !== 'none') {
    put('○', d.mid, m.kind === 'joined' ? 1 : 2);
    [m.year, m.month, m.day].forEach((v, i) => put(plain(v), d.mid, 3 + i));
  }
  const b = s.birth;
  if (b) [b.era, plain(b.year), plain(b.month), plain(b.day)].forEach((v, i) => put(v, d.birth, 1 + i));
}

function payer(c: Canvas, s: SlipPrint): void {
  const p = G.payer;
  digits(c, s.payer.number, p.labelRight, p.top, p.cellsRight - p.labelRight, p.row1 - p.top, CELLS.payer);
  c.fit(s.payer.phone, p.phoneLabelRight + 3, p.top, G.x1 - p.phoneLabelRight - 6, p.row1 - p.top, VALUE);
  c.fit(s.payer.address, p.labelRight + 3, p.row1, G.x1 - p.labelRight - 6, p.row2 - p.row1, VALUE);
  c.fit(s.payer.name, p.labelRight + 3, p.row2, G.x1 - p.labelRight - 6, p.bottom - p.row2, 8);
}

/** Every value a slip prints, run together: what the fixed font may take in when most slips share it (slip-book.ts commonText). */
export function printedText(s: SlipPrint): string {
  const people = [s.spouse, ...s.dependents, ...s.under16].flatMap((p) => (p ? [p.furigana, p.name, kubunMark(p.kubun), p.number] : []));
  const dates = [s.midYear.year, s.midYear.month, s.midYear.day, ...(s.birth ? [s.birth.era, s.birth.year, s.birth.month, s.birth.day] : [])];
  return [...Object.values(s.payee), ...Object.values(s.amounts).map(yen), s.tekiyo, ...people, ...dates, ...Object.values(s.payer)].join('');
}

/**
 * The person's slip on a page whose template (slip-layout.ts) is already
 * placed. Each value is drawn (and recorded in the canvas's `texts`) as one
 * string, a number box's digits included.
 */
export function drawSlip(c: Canvas, s: SlipPrint): void {
  c.lineWidth(0.4);
  payee(c, s);
  amounts(c, s);
  family(c, s);
  dates(c, s);
  payer(c, s);
}
