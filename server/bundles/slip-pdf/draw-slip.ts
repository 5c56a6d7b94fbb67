/**
 * One 給与所得の源泉徴収票 drawn on an A6 landscape page (year-end.md §6): the
 * blocks of the official form in ruled boxes — 支払を受ける者, the amounts,
 * 摘要, 配偶者・扶養親族, 中途就・退職 and 生年月日, 支払者 — from a plain "what
 * to print" object. Number boxes print whatever string they are given: the
 * 本人交付 copy passes none, and the box stays empty (kinko prints them
 * empty, §6). Layout only: it imports nothing that holds data.
 */
export interface SlipPerson {
  readonly name: string;
  readonly furigana: string;
  readonly kubun: string;
  /** Only on a numbered copy. */
  readonly number?: string;
}

export interface SlipPrint {
  readonly nenbun: number;
  /** 税務署提出用 / 給与支払報告書（個人別明細書） / 受給者交付用 */
  readonly copyLabel: string;
  readonly payee: { readonly address: string; readonly employeeCode: string; readonly title: string; readonly name: string; readonly furigana: string; readonly number?: string };
  readonly amounts: { readonly paymentType: string; readonly pay: string; readonly afterDeduction: string; readonly deductionsTotal: string; readonly tax: string; readonly socialInsurance: string };
  readonly tekiyo: string;
  readonly spouse?: SlipPerson;
  readonly dependents: readonly SlipPerson[];
  readonly under16: readonly SlipPerson[];
  readonly midYear: string;
  readonly birth: string;
  readonly payer: { readonly address: string; readonly name: string; readonly phone: string; readonly number?: string };
}

/** 3000000 → 3,000,000; anything not digits as written. */
export function yen(v: string): string {
  return /^\d+$/.test(v) ? Number(v).toLocaleString('ja-JP') : v;
}

type Doc = PDFKit.PDFDocument;

function box(doc: Doc, x: number, y: number, w: number, h: number, label: string, value = '', opts: { align?: 'left' | 'right'; size?: number } = {}) {
  doc.rect(x, y, w, h).stroke();
  doc.fontSize(4.6).text(label, x + 1.5, y + 1.2, { lineBreak: false });
  if (value) doc.fontSize(opts.size ?? 6.5).text(value, x + 2, y + h - (opts.size ?? 6.5) - 2.5, { width: w - 4, align: opts.align ?? 'left', lineBreak: false });
}

/** A number box of `cells` cells, the digits right-aligned (a 法人番号 in 13, a 個人番号 in 12). */
function numberBox(doc: Doc, x: number, y: number, w: number, h: number, label: string, cells: number, value = '') {
  doc.rect(x, y, w, h).stroke();
  doc.fontSize(4.6).text(label, x + 1.5, y + 1.2, { lineBreak: false });
  const cw = (w - 4) / cells;
  const top = y + 7;
  for (let i = 1; i < cells; i++) doc.moveTo(x + 2 + i * cw, top).lineTo(x + 2 + i * cw, y + h - 1.5).lineWidth(0.2).stroke().lineWidth(0.5);
  const digits = value.slice(-cells);
  const start = cells - digits.length;
  for (let i = 0; i < digits.length; i++) doc.fontSize(6.5).text(digits[i]!, x + 2 + (start + i) * cw, top + 0.5, { width: cw, align: 'center', lineBreak: false });
}

export function drawSlip(doc: Doc, s: SlipPrint): void {
  doc.addPage();
  doc.font('jp').lineWidth(0.5).strokeColor('#333').fillColor('black');
  const L = 12;
  const W = 395.5;
  doc.fontSize(9).text(`令和${s.nenbun}年分　給与所得の源泉徴収票`, L, 10, { lineBreak: false });
  doc.fontSize(6.5).text(s.copyLabel, L, 12, { width: W, align: 'right', lineBreak: false });

  // 支払を受ける者
  let y = 26;
  box(doc, L, y, 215, 30, '支払を受ける者　住所又は居所', s.payee.address, { size: 6 });
  box(doc, L + 215, y, 60, 15, '受給者番号', s.payee.employeeCode);
  box(doc, L + 215, y + 15, 60, 15, '役職名', s.payee.title);
  box(doc, L + 275, y, W - 275, 15, 'フリガナ', s.payee.furigana, { size: 5.5 });
  box(doc, L + 275, y + 15, W - 275, 15, '氏名', s.payee.name);
  y += 30;
  numberBox(doc, L, y, 215, 16, '（受給者の）個人番号', 12, s.payee.number);
  box(doc, L + 215, y, W - 215, 16, '生年月日', s.birth);

  // Amounts
  y += 16;
  const amounts: [string, string][] = [
    ['種別', s.amounts.paymentType], ['支払金額', yen(s.amounts.pay)], ['給与所得控除後の金額', yen(s.amounts.afterDeduction)],
    ['所得控除の額の合計額', yen(s.amounts.deductionsTotal)], ['源泉徴収税額', yen(s.amounts.tax)],
  ];
  const aw = W / amounts.length;
  amounts.forEach(([label, v], i) => box(doc, L + i * aw, y, aw, 20, label, v, { align: i === 0 ? 'left' : 'right' }));
  y += 20;
  box(doc, L, y, 130, 16, '社会保険料等の金額', yen(s.amounts.socialInsurance), { align: 'right' });
  box(doc, L + 130, y, W - 130, 16, '中途就・退職', s.midYear);

  // 摘要
  y += 16;
  box(doc, L, y, W, 24, '（摘要）', s.tekiyo, { size: 5.5 });

  // 配偶者・扶養親族: one line each, a number box per person.
  y += 24;
  const family: [string, SlipPerson | undefined][] = [
    ['控除対象配偶者', s.spouse],
    ...[0, 1, 2, 3].map((i) => [`控除対象扶養親族${i + 1}`, s.dependents[i]] as [string, SlipPerson | undefined]),
    ...[0, 1].map((i) => [`16歳未満の扶養親族${i + 1}`, s.under16[i]] as [string, SlipPerson | undefined]),
  ];
  for (const [label, p] of family) {
    // The name beside its label (a 12-pt line holds one row of text).
    box(doc, L, y, 190, 12, label);
    if (p) doc.fontSize(5.8).text(`${p.name}（${p.furigana}）`, L + 62, y + 3.2, { width: 126, lineBreak: false });
    box(doc, L + 190, y, 30, 12, '区分', p?.kubun ?? '', { size: 5.5 });
    numberBox(doc, L + 220, y, W - 220, 12, '個人番号', 12, p?.number);
    y += 12;
  }
  const more = s.dependents.length - 4 + Math.max(0, s.under16.length - 2);
  if (more > 0) doc.fontSize(5).text(`ほか ${more} 人（摘要欄・別紙）`, L, y + 1, { lineBreak: false });

  // 支払者
  y = 297.64 - 12 - 28;
  numberBox(doc, L, y, 160, 14, '支払者　個人番号又は法人番号', 13, s.payer.number);
  box(doc, L + 160, y, W - 160, 14, '電話', s.payer.phone);
  box(doc, L, y + 14, 200, 14, '住所（居所）又は所在地', s.payer.address, { size: 5.5 });
  box(doc, L + 200, y + 14, W - 200, 14, '氏名又は名称', s.payer.name);
}
