import { describe, expect, it } from '@jest/globals';
import { pageRows, type PositionedText } from '../../server/ingest/parse/pdf-rows.js';

const t = (str: string, x: number, y: number, width = str.length * 6): PositionedText => ({ str, x, y, width, height: 10 });

describe('rebuilding table rows from PDF text positions', () => {
  it('groups by baseline, assigns items to header columns, joins runs of one cell', () => {
    const items = [
      t('社員名簿', 250, 800, 40),
      t('No.', 57, 754, 16),
      t('氏名', 82, 754, 20),
      t('個人番号', 154, 754, 40),
      // Right-aligned row number just past the "No." header, name in two runs, number slightly off the baseline.
      t('1', 74, 741.5, 5.6),
      t('山田', 82, 741.8, 20),
      t('太郎', 105, 741.8, 20),
      t('1234-5678-9018', 154, 741.5, 74),
      t('10', 68, 728.7, 11),
      t('佐藤 花子', 82, 729, 43),
      t('Page 1', 281, 60, 32),
    ];
    const { rows, columns } = pageRows(items, undefined, true);
    expect(columns).toHaveLength(3);
    expect(rows).toEqual([['社員名簿'], ['No.', '氏名', '個人番号'], ['1', '山田 太郎', '1234-5678-9018'], ['10', '佐藤 花子', ''], ['', '', 'Page 1']]);
  });

  it('drops repeated page titles above the header on later pages and carries columns to pages without a header', () => {
    const header = [t('氏名', 82, 754, 20), t('個人番号', 154, 754, 40)];
    const page2 = pageRows([t('社員名簿', 250, 800, 40), ...header, t('B', 82, 741, 6), t('x', 154, 741, 6)], undefined, false);
    expect(page2.rows).toEqual([[], ['氏名', '個人番号'], ['B', 'x']]);
    const page3 = pageRows([t('C', 82, 741, 6), t('y', 154, 741, 6)], page2.columns, false);
    expect(page3.rows).toEqual([['C', 'y']]);
  });
});
