import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import { selfCopyPdfs } from '../../server/bundles/self-copy-pdf.js';
import { buildSelfCopy, type SelfCopy } from '../../server/bundles/self-copy.js';
import { selfCopyAllName, selfCopyNames } from '../../server/bundles/slip-pdf/file-names.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { flat, seePdf } from '../helpers/pdf-text.js';
import { unifiedCells } from './fixtures.js';

/**
 * The 受給者交付用 源泉徴収票 PDFs, read back with poppler as the employee
 * would see them: one PDF each and one combined, every number box empty, no
 * payer 法人番号 — even when the file they came from carried every number.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const L7 = layoutFor(7)!;
const CORP = '7000012050002';

function copyOf(line: number, over: Record<number, string>): SelfCopy {
  const row = toPayRow(unifiedCells(over), line, L7).row!;
  const { copy, problems } = buildSelfCopy(row);
  if (!copy) throw new Error(JSON.stringify(problems));
  return copy;
}

/** No run of 12 digits, read as laid out and with every space and line break removed. */
function expectNoNumber(text: string): void {
  expect(text).not.toMatch(/\d{12}/);
  expect(flat(text)).not.toMatch(/\d{12}/);
  expect(flat(text)).not.toContain(CORP);
}

describe('the 本人交付 PDFs', () => {
  it('when built from rows whose file carried numbers, each employee’s PDF and the combined one show name, amounts and payer, and no number of anyone', async () => {
    const nums = syntheticMyNumbers(6, 91);
    const people = ([
      { 14: '山田　太郎', 17: '6000000', 19: '4360000', 21: '123400', 138: '1001', 95: nums[0]!, 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00', 99: nums[1]!, 100: 'ﾔﾏﾀﾞ ｼﾞﾛｳ', 101: '山田　次郎', 102: '00', 103: nums[2]! },
      { 14: '鈴木　一郎', 17: '3500000', 138: '1002', 95: nums[3]!, 116: 'ｽｽﾞｷ ｻﾌﾞﾛｳ', 117: '鈴木　三郎', 118: '00', 119: nums[4]! },
      { 14: '高橋　愛', 17: '2800000', 138: '1003', 95: nums[5]! },
    ] as Record<number, string>[]).map((p, i) => copyOf(i + 1, { ...p, 94: CORP }));
    const out = await selfCopyPdfs(people, { nenbun: 7 });
    expect(out.each.map((e) => [e.line, e.employeeCode, e.name])).toEqual([[1, '1001', '山田　太郎'], [2, '1002', '鈴木　一郎'], [3, '1003', '高橋　愛']]);
    const wants = [['山田太郎', '山田花子', '山田次郎', '6,000,000', '4,360,000', '123,400'], ['鈴木一郎', '鈴木三郎', '3,500,000'], ['高橋愛', '2,800,000']];
    out.each.forEach((e, i) => {
      const seen = seePdf(e.bytes);
      expect(seen.pageCount).toBe(1);
      expectNoNumber(seen.layout);
      for (const w of [...(wants[i] as string[]), '受給者交付用', '株式会社金庫', '東京都千代田区丸の内１－１－１']) expect(flat(seen.layout)).toContain(w);
      // Nobody else's slip is inside.
      for (const other of wants.filter((_, j) => j !== i)) expect(flat(seen.layout)).not.toContain(other[0]);
    });
    const all = seePdf(out.combined);
    expect(all.pageCount).toBe(3);
    expectNoNumber(all.layout);
    all.pages.forEach((page, i) => expect(flat(page)).toContain((wants[i] as string[])[0]));
  });

  it('when a copy would print a My Number (typed into 摘要 or a name, past the data step), no PDF is made and the error names the line only', async () => {
    const [n] = syntheticMyNumbers(1, 92);
    const good = copyOf(1, {});
    for (const bad of [{ ...good, line: 5, tekiyo: `番号 ${n!.slice(0, 4)}-${n!.slice(4, 8)}-${n!.slice(8)}` }, { ...good, line: 5, spouse: { furigana: '', name: `妻${n}`, kubun: '00' } }]) {
      const attempt = selfCopyPdfs([good, bad], { nenbun: 7 });
      await expect(attempt).rejects.toThrow(/line 5/);
      await expect(attempt).rejects.not.toThrow(/\d{4}-\d{4}|\d{12}/);
    }
  });

  it('when a batch mixes 年分, it is refused rather than titled wrongly', async () => {
    await expect(selfCopyPdfs([copyOf(1, {}), { ...copyOf(2, {}), nenbun: 6 }], { nenbun: 7 })).rejects.toThrow(/line 2/);
  });

  it('when named for the zip, every file has a distinct ASCII name: the 受給者番号, or the line when the code is missing, odd or taken', () => {
    const names = selfCopyNames(7, [{ line: 1, employeeCode: '1001' }, { line: 2, employeeCode: '' }, { line: 3, employeeCode: '1001' }, { line: 4, employeeCode: '社員7' }, { line: 5, employeeCode: 'all' }]);
    expect(names).toEqual(['honnin_R07_1001.pdf', 'honnin_R07_L2.pdf', 'honnin_R07_L3.pdf', 'honnin_R07_L4.pdf', 'honnin_R07_L5.pdf']);
    expect(selfCopyAllName(7)).toBe('honnin_R07_all.pdf');
  });

  it('when its source is read, it imports only the number-free data, the 元号 names and the slip drawer — and the layer rule covers it by its name', () => {
    const src = fs.readFileSync(path.join(ROOT, 'server/bundles/self-copy-pdf.ts'), 'utf8');
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['./layout/eras.js', './self-copy.js', './slip-pdf/draw-slip.js', './slip-pdf/slip-book.js']);
    const rule = fs.readFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), 'utf8');
    expect(rule).toContain("from: { path: '^server/bundles/self-copy' }");
  });
});
