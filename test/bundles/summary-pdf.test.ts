import { describe, expect, it } from '@jest/globals';
import { summaryName } from '../../server/bundles/slip-pdf/file-names.js';
import { summaryPdf, type SummaryInput } from '../../server/bundles/write/summary-pdf.js';
import { flat, seePdf } from '../helpers/pdf-text.js';

/** The 総括表, read back with poppler as the 市区町村 reads it. */
const input: SummaryInput = {
  nenbun: 7,
  municipalityCode: '01100',
  municipalityName: '札幌市',
  payer: { name: '株式会社金庫', address: '東京都千代田区丸の内１－１－１', phone: '03-0000-0000' },
  payerNumber: '7000012050002',
  designatedNumber: 'A123',
  special: 12,
  ordinary: 3,
  contact: { name: '総務部　鈴木', phone: '03-0000-0001' },
};

describe('the 総括表 PDF', () => {
  it('when printed for one municipality, one A4 page shows its code (leading zero kept), the 年分, the payer and 法人番号, the 指定番号, the 特別徴収 / 普通徴収 counts and their total, and the 連絡者', async () => {
    const seen = seePdf(await summaryPdf(input));
    expect(seen.pageCount).toBe(1);
    expect(seen.pageSize).toMatch(/^595\.2\d* x 841\.8\d* pts \(A4\)/);
    const text = flat(seen.layout);
    for (const want of ['令和7年分給与支払報告書（総括表）', '札幌市長', '01100', '7000012050002', 'A123', '株式会社金庫', '東京都千代田区丸の内１－１－１', '総務部鈴木', '03-0000-0001', '特別徴収普通徴収合計', '12人3人15人']) {
      expect(text).toContain(want);
    }
    // 提出日 is left for the office to date when it files.
    expect(text).toContain('提出日令和年月日');
  });

  it('when there is no 連絡者 or name, the boxes print empty and the page still identifies the municipality by code', async () => {
    const { contact: _c, municipalityName: _n, ...bare } = input;
    const text = flat(seePdf(await summaryPdf({ ...bare, ordinary: 0 })).layout);
    expect(text).toContain('市区町村長宛');
    expect(text).toContain('12人0人12人');
    expect(text).toContain('連絡者の氏名連絡者の電話番号');
  });

  it('when the code is not a 5-digit 団体コード or the payer’s number is invalid, it refuses', async () => {
    await expect(summaryPdf({ ...input, municipalityCode: '1100' })).rejects.toThrow(/5-digit/);
    await expect(summaryPdf({ ...input, payerNumber: '7000012050003' })).rejects.toThrow(/not a valid/);
  });

  it('when named for the zip, the name is ASCII with the 年分 and the code', () => {
    expect(summaryName(7, '01100')).toBe('soukatsu_R07_01100.pdf');
  });
});
