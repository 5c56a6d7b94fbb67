import type { Canvas } from './canvas.js';

/**
 * Where everything on the printed 源泉徴収票 is (year-end.md §6), and the part
 * that is the same on every slip of a document — ruling, labels, title, which
 * copy it is — drawn once as the page template. A6 landscape (UNVERIFIED, §6),
 * in points from the top-left corner. Not the official form's exact drawing:
 * the same blocks in the same order, ruled and labelled so that a person (or
 * the 市区町村's clerk) finds each field where the form has it.
 */
export const SLIP_SIZE: readonly [number, number] = [419.53, 297.64];

export type SlipCopy = 'tax-office' | 'municipal' | 'self';

export const COPY_TITLE: Readonly<Record<SlipCopy, string>> = {
  'tax-office': '税務署提出用',
  municipal: '給与支払報告書（個人別明細書）',
  self: '受給者交付用',
};

const X0 = 10;
const X1 = 409.5;
const MID = (X0 + X1) / 2;

/** Block tops and bottoms, and the column edges inside them. */
export const G = {
  x0: X0,
  x1: X1,
  mid: MID,
  payee: { top: 24, bottom: 78, side: 22, addrRight: 228, labelRight: 266, row1: 36, row2: 49, titleRight: 300 },
  amounts: { top: 81, head: 90, bottom: 106, cols: [X0, 78, 161, 244, 327, X1] },
  middle: { top: 109, head: 118, bottom: 145, split: 118 },
  family: { top: 148, head: 156, bottom: 218, label: 26, name: 104, kubun: 120 },
  dates: { top: 221, head: 229, bottom: 241, mid: [X0, 50, 80, 110, 143, 176, MID], birth: [MID, 260, 300, 336, 372, X1] },
  payer: { top: 244, row1: 258, row2: 274, bottom: 290, side: 22, labelRight: 90, cellsRight: 245, phoneLabelRight: 270 },
} as const;

export const CELLS = { self: 12, payer: 13 } as const;

const LABEL = 5;
const RULE = 0.4;

export function label(c: Canvas, s: string, x: number, y: number, w: number, h: number, size = LABEL): void {
  c.fit(s, x + 1, y, w - 2, h, size, 'center');
}

/** Labels written top to bottom, one character a line, as in the form's narrow side columns. */
function vertical(c: Canvas, s: string, x: number, y: number, w: number, h: number, size = 5.5): void {
  const chars = [...s];
  const top = y + (h - chars.length * size * 1.1) / 2;
  chars.forEach((ch, i) => c.text(ch, x, top + i * size * 1.1, size, 'center', w));
}

/** A ruled box of `n` cells, one digit each (個人番号 12, 法人番号 13). */
export function cellBox(c: Canvas, x: number, y: number, w: number, h: number, n: number): void {
  c.rect(x, y, w, h);
  for (let i = 1; i < n; i++) c.line(x + (w * i) / n, y + h * 0.35, x + (w * i) / n, y + h);
}

function payeeBlock(c: Canvas): void {
  const p = G.payee;
  c.rect(X0, p.top, X1 - X0, p.bottom - p.top);
  c.line(p.side, p.top, p.side, p.bottom);
  vertical(c, '支払を受ける者', X0, p.top, p.side - X0, p.bottom - p.top);
  c.line(p.addrRight, p.top, p.addrRight, p.bottom);
  c.text('住所又は居所', p.side + 2, p.top + 2, LABEL);
  c.line(p.labelRight, p.top, p.labelRight, p.row2);
  c.line(p.addrRight, p.row1, X1, p.row1);
  c.line(p.addrRight, p.row2, X1, p.row2);
  label(c, '受給者番号', p.addrRight, p.top, p.labelRight - p.addrRight, p.row1 - p.top);
  label(c, '個人番号', p.addrRight, p.row1, p.labelRight - p.addrRight, p.row2 - p.row1);
  cellBox(c, p.labelRight, p.row1, X1 - p.labelRight, p.row2 - p.row1, CELLS.self);
  c.line(p.titleRight, p.row2, p.titleRight, p.bottom);
  c.text('（役職名）', p.addrRight + 2, p.row2 + 2, LABEL);
  c.text('（フリガナ）', p.titleRight + 2, p.row2 + 2, LABEL);
  c.text('氏名', p.titleRight + 2, p.row2 + 12, LABEL);
}

function amountsBlock(c: Canvas): void {
  const a = G.amounts;
  c.rect(X0, a.top, X1 - X0, a.bottom - a.top);
  c.line(X0, a.head, X1, a.head);
  const names = ['種別', '支払金額', '給与所得控除後の金額（調整控除後）', '所得控除の額の合計額', '源泉徴収税額'];
  names.forEach((n, i) => {
    const [l, r] = [a.cols[i] as number, a.cols[i + 1] as number];
    if (i > 0) c.line(l, a.top, l, a.bottom);
    label(c, n, l, a.top, r - l, a.head - a.top);
    if (i > 0) c.text('円', r - 6, a.head + 1, 4);
  });
}

function middleBlock(c: Canvas): void {
  const m = G.middle;
  c.rect(X0, m.top, X1 - X0, m.bottom - m.top);
  c.line(m.split, m.top, m.split, m.bottom);
  c.line(X0, m.head, m.split, m.head);
  label(c, '社会保険料等の金額', X0, m.top, m.split - X0, m.head - m.top);
  c.text('円', m.split - 6, m.head + 1, 4);
  c.text('（摘要）', m.split + 2, m.top + 2, LABEL);
}

function datesBlock(c: Canvas): void {
  const d = G.dates;
  c.rect(X0, d.top, X1 - X0, d.bottom - d.top);
  c.line(X0, d.head, X1, d.head);
  const heads: [readonly number[], string[]][] = [
    [d.mid, ['中途就・退職', '就職', '退職', '年', '月', '日']],
    [d.birth, ['受給者生年月日', '元号', '年', '月', '日']],
  ];
  for (const [xs, names] of heads) {
    names.forEach((n, i) => {
      const [l, r] = [xs[i] as number, xs[i + 1] as number];
      if (i > 0 || l !== X0) c.line(l, d.top, l, d.bottom);
      label(c, n, l, d.top, r - l, d.head - d.top);
    });
  }
}

function payerBlock(c: Canvas): void {
  const p = G.payer;
  c.rect(X0, p.top, X1 - X0, p.bottom - p.top);
  c.line(p.side, p.top, p.side, p.bottom);
  vertical(c, '支払者', X0, p.top, p.side - X0, p.bottom - p.top, 6);
  c.line(p.labelRight, p.top, p.labelRight, p.bottom);
  c.line(p.side, p.row1, X1, p.row1);
  c.line(p.side, p.row2, X1, p.row2);
  label(c, '個人番号又は法人番号', p.side, p.top, p.labelRight - p.side, p.row1 - p.top);
  cellBox(c, p.labelRight, p.top, p.cellsRight - p.labelRight, p.row1 - p.top, CELLS.payer);
  c.line(p.phoneLabelRight, p.top, p.phoneLabelRight, p.row1);
  label(c, '（電話）', p.cellsRight, p.top, p.phoneLabelRight - p.cellsRight, p.row1 - p.top);
  label(c, '住所（居所）又は所在地', p.side, p.row1, p.labelRight - p.side, p.row2 - p.row1);
  label(c, '氏名又は名称', p.side, p.row2, p.labelRight - p.side, p.bottom - p.row2);
}

/** 配偶者 + 4 控除対象扶養親族 on the left, as on the form; more rows only for more people. */
export const FAMILY_ROWS = 5;
export const FAMILY_FORM = 'Fam';

export function familyRows(left: number, right: number): number {
  return Math.max(FAMILY_ROWS, left, right);
}

function familyRowRule(c: Canvas, x: number, y: number, h: number, rowLabel: string): void {
  const f = G.family;
  const right = x + (MID - X0);
  c.line(x, y, right, y);
  if (rowLabel) label(c, rowLabel, x, y, f.label - X0, h, Math.min(4.5, h * 0.5));
  cellBox(c, x + (f.kubun - X0), y, right - x - (f.kubun - X0), h, CELLS.self);
}

/** The family table's ruling and labels for `rows` rows; the right side numbers as many rows as it has people, at least 4. */
export function familyGrid(c: Canvas, rows: number, under16: number): void {
  const f = G.family;
  const half = MID - X0;
  c.rect(X0, f.top, X1 - X0, f.bottom - f.top);
  c.line(MID, f.top, MID, f.bottom);
  for (const [x, title] of [[X0, '控除対象配偶者・控除対象扶養親族'], [MID, '16歳未満の扶養親族']] as const) {
    // The title spans the row-label and name columns, so the row-label rule starts below it.
    c.line(x + f.label - X0, f.head, x + f.label - X0, f.bottom);
    for (const edge of [f.name, f.kubun]) c.line(x + edge - X0, f.top, x + edge - X0, f.bottom);
    label(c, title, x, f.top, f.name - X0, f.head - f.top);
    label(c, '区分', x + f.name - X0, f.top, f.kubun - f.name, f.head - f.top);
    label(c, '個人番号', x + f.kubun - X0, f.top, half - (f.kubun - X0), f.head - f.top);
  }
  const h = (f.bottom - f.head) / rows;
  for (let i = 0; i < rows; i++) {
    familyRowRule(c, X0, f.head + i * h, h, i === 0 ? '配偶者' : `(${i})`);
    familyRowRule(c, MID, f.head + i * h, h, i < Math.max(FAMILY_ROWS - 1, under16) ? `(${i + 1})` : '');
  }
}

/** Everything on the slip that does not depend on the person: drawn once per document. */
export function drawSlipTemplate(c: Canvas, nenbun: number, copy: SlipCopy): void {
  c.lineWidth(RULE);
  c.text(`令和${nenbun}年分　給与所得の源泉徴収票`, X0, 9, 11);
  c.rect(285, 8, X1 - 285, 13);
  c.fit(COPY_TITLE[copy], 287, 8, X1 - 289, 13, 7, 'center');
  payeeBlock(c);
  amountsBlock(c);
  middleBlock(c);
  datesBlock(c);
  payerBlock(c);
}

/** Characters the per-person part may print besides the person's own words; they go into the fixed font with the template's. */
export const PAGE_LABELS = '0123456789,-○';
