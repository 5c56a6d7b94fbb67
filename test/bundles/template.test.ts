import { describe, expect, it } from '@jest/globals';
import iconv from 'iconv-lite';
import { readTemplateCsv } from '../../server/bundles/read/template-reader.js';
import { planRouting } from '../../server/bundles/route/route-rows.js';
import { writeUnifiedCsv } from '../../server/bundles/write/unified-writer.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';

const PAYER = { address: '東京都千代田区丸の内１－１－１', name: '株式会社金庫', phone: '03-0000-0000' };
const HEAD = ['受給者番号', '氏名', 'フリガナ', '生年月日', '住所', '支払金額', '退職日', '提出先市町村コード', '役員', '士業', '年末調整済',
  '扶養親族1 氏名', '扶養親族2 氏名', '扶養親族3 氏名', '扶養親族4 氏名', '扶養親族5 氏名'];

function csv(rows: string[][]): string {
  return [HEAD, ...rows].map((r) => r.map((c) => (c.includes(',') ? `"${c}"` : c)).join(',')).join('\r\n') + '\r\n';
}

describe('kinko’s own template (header row a person can read)', () => {
  const row = ['2001', '佐藤　一', 'ｻﾄｳ ﾊｼﾞﾒ', '1990-04-01', '東京都府中市宮町１－２－３', '1,500,001', '', '132063', 'はい', 'いいえ', 'はい', '佐藤　甲', '佐藤　乙', '佐藤　丙', '佐藤　丁', '佐藤　戊'];

  it('when saved as UTF-8 (Excel 「CSV UTF-8」) or Shift_JIS, it maps onto the same typed rows, with the flags the 統一CSV lacks', () => {
    for (const bytes of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv([row]))]), iconv.encode(csv([row]), 'shift_jis')]) {
      const { rows, flags, problems } = readTemplateCsv(bytes, 7, PAYER);
      expect(problems).toEqual([]);
      expect(rows[0]).toMatchObject({ line: 2, employeeCode: '2001', name: '佐藤　一', pay: 1_500_001, birth: { era: '4', year: '02', month: '04', day: '01' }, municipalityCode: '132063' });
      expect(rows[0]?.dependents.map((d) => d.name)).toEqual(['佐藤　甲', '佐藤　乙', '佐藤　丙', '佐藤　丁', '佐藤　戊']);
      expect(rows[0]?.cells[100]).toBe('佐藤　甲');
      expect(flags.get(2)).toEqual({ officer: true, professional: false, yearEndAdjusted: true });
    }
  });

  it('when written out, the 役員 over 150万 goes to the 税務署 and the 5th dependent lands in col 132', () => {
    const { rows, flags } = readTemplateCsv(Buffer.from(csv([row])), 7, PAYER);
    const plan = planRouting(rows, (r) => ({ hei: false, ...flags.get(r.line) }), 7);
    expect(plan.taxOfficeCount).toBe(1);
    const nums = syntheticMyNumbers(6, 9);
    const out = writeUnifiedCsv(plan, { kind: 'tax-office' }, () => ({ self: nums[0], dependents: nums.slice(1) }));
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    const cells = iconv.decode(out.bytes, 'shift_jis').split('\r\n')[0]!.split(',');
    expect([cells[0], cells[3], cells[10], cells[131], cells[146]]).toEqual(['315', PAYER.address, '07', `(${nums[5]})佐藤　戊`, '2']);
  });

  it('when a flag is left empty it stays unknown; an unreadable amount or date is a problem naming the column', () => {
    const blanks = [...row];
    blanks[8] = '';
    blanks[5] = '百五十万';
    blanks[3] = '1990-02-30';
    const { rows, flags, problems } = readTemplateCsv(Buffer.from(csv([blanks])), 7, PAYER);
    expect(rows).toEqual([]);
    expect(flags.get(2)?.officer).toBeUndefined();
    expect(problems.map((p) => [p.code, p.params['header']])).toEqual([['template.badValue', '生年月日'], ['template.badValue', '支払金額'], ['payMissing', undefined]]);
  });

  it('when a required column is missing, the file is refused and the column named', () => {
    const bytes = Buffer.from('氏名,フリガナ\r\n佐藤　一,ｻﾄｳ\r\n');
    expect(readTemplateCsv(bytes, 7, PAYER).problems.map((p) => p.params['header'])).toEqual(['支払金額', '提出先市町村コード']);
  });
});
