import { describe, expect, it } from '@jest/globals';
import { column, columnCount, layoutFor, numberBearingCols, sakuseiKubunCol } from '../../server/bundles/layout/layouts.js';

describe('the 統一CSV layout per 年分', () => {
  it('when the year is 令和7年分, it has 147 columns and 作成区分 is the last; 令和6年分 has 144, also ending in 作成区分', () => {
    const r7 = layoutFor(7)!;
    const r6 = layoutFor(6)!;
    expect(columnCount(r7)).toBe(147);
    expect(columnCount(r6)).toBe(144);
    expect(column(r7, sakuseiKubunCol(r7)).name).toBe('作成区分');
    expect(column(r6, 144).name).toBe('作成区分');
    expect(column(r7, 146).name).toBe('特定親族特別控除の額');
    expect(column(r6, 143).name).toBe(column(r7, 143).name);
  });

  it('when asked which cells bear numbers, it names exactly the ★ columns of year-end.md §4.2, and ◆ routing is 139, 140 and 作成区分', () => {
    const r7 = layoutFor(7)!;
    expect(numberBearingCols(r7)).toEqual([94, 95, 99, 103, 107, 111, 115, 119, 123, 127, 131, 132, 133]);
    expect(numberBearingCols(layoutFor(6)!)).toEqual([94, 95, 99, 103, 107, 111, 115, 119, 123, 127, 131, 132, 133]);
    expect(r7.columns.filter((c) => c.routing).map((c) => c.col)).toEqual([139, 140, 147]);
  });

  it('when a length is unknown in the sources, it stays unknown rather than guessed', () => {
    const r7 = layoutFor(7)!;
    for (const col of [92, 93, 141, 142, 143, 144, 145, 146]) expect(column(r7, col).maxLength).toBeUndefined();
    expect(column(r7, 14)).toMatchObject({ chars: 'zenkaku', maxLength: 30 });
    expect(column(r7, 137)).toMatchObject({ chars: 'hankaku-kana', maxLength: 60 });
    expect(column(r7, 17)).toMatchObject({ chars: 'digits', maxLength: 10 });
  });

  it('when the 年分 is one kinko has no layout for, there is none (never the nearest year)', () => {
    expect(layoutFor(8)).toBeUndefined();
  });
});
