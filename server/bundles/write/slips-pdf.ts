import { BadRequest } from '../../http/errors.js';
import type { RowRouting } from '../route/route-rows.js';
import { slipFromCopy } from '../self-copy-pdf.js';
import { buildSelfCopy } from '../self-copy.js';
import { drawSlip } from '../slip-pdf/draw-slip.js';
import { A4, A6_LANDSCAPE, slipDoc } from '../slip-pdf/pdf-doc.js';
import type { RowNumbers } from './fill-numbers.js';

/**
 * The printed slips of a numbered destination (issue 15 §3): one A6 page per
 * person, the 税務署提出用 源泉徴収票 or the 給与支払報告書（個人別明細書）, with
 * the numbers the vault gave printed in their boxes — 本人, 配偶者, 扶養親族
 * and the payer's 法人番号 — and the 総括表 of a 市区町村. The printed fields
 * are the same field-by-field copy the 本人交付 path uses (buildSelfCopy),
 * so the two renditions differ only by the numbers. In memory: the caller
 * seals the bytes at once.
 */
const LABELS = { 'tax-office': '税務署提出用', municipal: '給与支払報告書（個人別明細書）' } as const;

export async function numberedSlipsPdf(kind: 'tax-office' | 'municipal', nenbun: number, rows: readonly RowRouting[], numbersOf: (r: RowRouting) => RowNumbers): Promise<Buffer> {
  const pdf = slipDoc(`令和${nenbun}年分 ${LABELS[kind]}`, A6_LANDSCAPE);
  let i = 0;
  for (const r of rows) {
    const { copy } = buildSelfCopy(r.row);
    if (!copy) throw new BadRequest('bundles.build.errors.writeFailed');
    const n = numbersOf(r);
    drawSlip(pdf.doc, slipFromCopy(copy, LABELS[kind], { self: n.self, spouse: n.spouse, dependents: n.dependents, under16: n.under16, payer: n.payer }));
    if (++i % 200 === 0) await new Promise((res) => setImmediate(res));
  }
  return pdf.finish();
}

export interface SummaryFacts {
  readonly nenbun: number;
  readonly municipalityCode: string;
  readonly payer: { readonly name: string; readonly address: string; readonly corporateNumber: string | null };
  readonly designatedNumber: string;
  readonly special: number;
  readonly ordinary: number;
  readonly contact: { readonly name: string; readonly phone: string };
}

/** The 総括表 of one 市区町村 (year-end.md §5): the payer, its 法人番号 right-aligned, 指定番号, the 特別徴収 and 普通徴収 counts, 連絡者. */
export async function summaryPdf(f: SummaryFacts): Promise<Buffer> {
  const pdf = slipDoc(`令和${f.nenbun}年分 給与支払報告書（総括表） ${f.municipalityCode}`, A4);
  const doc = pdf.doc;
  doc.addPage();
  doc.font('jp').lineWidth(0.6);
  doc.fontSize(15).text(`令和${f.nenbun}年分　給与支払報告書（総括表）`, 50, 50, { width: 495, align: 'center' });
  doc.fontSize(10).text(`提出先市町村コード: ${f.municipalityCode}`, 50, 90).text('提出日: 　　年　　月　　日', 50, 90, { width: 495, align: 'right' });
  const row = (y: number, label: string, value: string) => {
    doc.rect(50, y, 495, 34).stroke();
    doc.fontSize(8).text(label, 56, y + 4, { lineBreak: false });
    doc.fontSize(12).text(value, 56, y + 16, { width: 480, lineBreak: false });
  };
  row(120, '給与支払者の個人番号又は法人番号', f.payer.corporateNumber ?? '');
  row(154, '給与支払者の名称', f.payer.name);
  row(188, '給与支払者の所在地', f.payer.address);
  row(222, '指定番号', f.designatedNumber);
  row(256, '報告人員　特別徴収', `${f.special} 人`);
  row(290, '報告人員　普通徴収', `${f.ordinary} 人`);
  row(324, '報告人員　合計', `${f.special + f.ordinary} 人`);
  row(358, '連絡者　氏名', f.contact.name);
  row(392, '連絡者　電話', f.contact.phone);
  if (f.ordinary > 0) doc.fontSize(9).text('普通徴収の者がいるため、普通徴収切替理由書を添付してください。', 50, 440, { width: 495 });
  return pdf.finish();
}
