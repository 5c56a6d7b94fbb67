import { isValidMyNumber } from '../../mynumber/check-digit.js';
import { Canvas } from '../slip-pdf/canvas.js';
import { slipFace } from '../slip-pdf/font-face.js';
import { writePdf } from '../slip-pdf/pdf-file.js';
import { prepareFont } from '../slip-pdf/pdf-font.js';
import { isValidCorporateNumber } from './fill-numbers.js';

/**
 * The 給与支払報告書（総括表）for one 市区町村 (year-end.md §5): one A4 page
 * with who reports (name, address, 法人番号 right-aligned in its 13 boxes),
 * the 指定番号, how many people are reported as 特別徴収 and as 普通徴収, the
 * 連絡者, and the 提出日 left blank for the office to date when it files. The
 * caller calls it once per municipality code (plan.municipalities), never per
 * name. Not the official form's drawing: its fields, ruled and labelled.
 */
export interface SummaryInput {
  readonly nenbun: number;
  /** The 団体コード the rows are grouped by (5 digits, leading zeros kept). */
  readonly municipalityCode: string;
  /** Printed next to the code when known; the code is what identifies it. */
  readonly municipalityName?: string;
  readonly payer: { readonly name: string; readonly address: string; readonly phone?: string };
  /** 法人番号 (13), or a sole proprietor's 個人番号 (12, printed with the first box empty). */
  readonly payerNumber: string;
  readonly designatedNumber: string;
  /** 特別徴収 and 普通徴収 人数 (RoutingPlan.municipalities' special / ordinary). */
  readonly special: number;
  readonly ordinary: number;
  readonly contact?: { readonly name: string; readonly phone: string };
}

const A4: readonly [number, number] = [595.28, 841.89];
const L = 50;
const R = A4[0] - 50;
const SPLIT = 215;
const ROW = 30;

function row(c: Canvas, y: number, label: string, value: string, size = 11): void {
  c.rect(L, y, R - L, ROW);
  c.line(SPLIT, y, SPLIT, y + ROW);
  c.fit(label, L + 6, y, SPLIT - L - 12, ROW, 9);
  c.fit(value, SPLIT + 8, y, R - SPLIT - 16, ROW, size);
}

function numberRow(c: Canvas, y: number, label: string, value: string): void {
  row(c, y, label, '');
  const cell = (R - SPLIT) / 13;
  for (let i = 1; i < 13; i++) c.line(SPLIT + cell * i, y + ROW * 0.3, SPLIT + cell * i, y + ROW);
  const digits = value.replace(/\s/g, '');
  c.spaced(digits, SPLIT + cell * (13 - digits.length), y + ROW * 0.3 + 4, 12, cell);
}

function counts(c: Canvas, y: number, special: number, ordinary: number): void {
  const xs = [L, SPLIT, SPLIT + (R - SPLIT) / 3, SPLIT + (2 * (R - SPLIT)) / 3, R];
  const heads = ['報告人員', '特別徴収', '普通徴収', '合計'];
  const values = ['', `${special} 人`, `${ordinary} 人`, `${special + ordinary} 人`];
  c.rect(L, y, R - L, ROW * 2);
  c.line(SPLIT, y + ROW, R, y + ROW);
  heads.forEach((h, i) => {
    const [l, r] = [xs[i] as number, xs[i + 1] as number];
    if (i > 0) c.line(l, y, l, y + ROW * 2);
    c.fit(h, l + 6, y, r - l - 12, i === 0 ? ROW * 2 : ROW, 10, i === 0 ? 'left' : 'center');
    c.fit(values[i] as string, l + 6, y + ROW, r - l - 12, ROW, 14, 'right');
  });
}

function check(input: SummaryInput): void {
  const n = input.payerNumber;
  if (n !== '' && !isValidCorporateNumber(n) && !isValidMyNumber(n)) throw new Error(`総括表 ${input.municipalityCode}: the payer's number is not a valid 法人番号 or 個人番号`);
  if (!/^\d{5}$/.test(input.municipalityCode)) throw new Error('総括表: the municipality code must be the 5-digit 団体コード');
  if (![input.special, input.ordinary].every((v) => Number.isInteger(v) && v >= 0)) throw new Error('総括表: counts must be whole numbers');
}

export async function summaryPdf(input: SummaryInput): Promise<Buffer> {
  check(input);
  const face = slipFace();
  const c = new Canvas(face, A4[1], new Set());
  c.lineWidth(0.6);
  c.text(`令和${input.nenbun}年分　給与支払報告書（総括表）`, L, 60, 18, 'center', R - L);
  c.text('提出日　令和　　　年　　　月　　　日', L, 110, 10, 'right', R - L);
  c.text(input.municipalityName ? `${input.municipalityName}長　宛` : '市区町村長　宛', L, 110, 11);
  const top = 140;
  const rows: [string, string][] = [
    ['提出先市区町村コード', input.municipalityCode],
    ['年分', `令和${input.nenbun}年分`],
    ['指定番号', input.designatedNumber],
    ['給与支払者の個人番号又は法人番号', input.payerNumber],
    ['給与支払者の氏名又は名称', input.payer.name],
    ['給与支払者の住所（居所）又は所在地', input.payer.address],
    ['給与支払者の電話番号', input.payer.phone ?? ''],
    ['連絡者の氏名', input.contact?.name ?? ''],
    ['連絡者の電話番号', input.contact?.phone ?? ''],
  ];
  rows.forEach(([label, value], i) => (i === 3 ? numberRow : row)(c, top + i * ROW, label, value));
  counts(c, top + rows.length * ROW + 20, input.special, input.ordinary);
  const font = prepareFont(face, c.variable, 'KINKOS', true);
  return writePdf({ size: A4, pages: [c.deflated()], fonts: { F2: font }, title: `令和${input.nenbun}年分 給与支払報告書（総括表） ${input.municipalityCode}` });
}
