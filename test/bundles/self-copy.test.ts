import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import { buildSelfCopy } from '../../server/bundles/self-copy.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { TWELVE_DIGITS, unifiedCells } from './fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const L7 = layoutFor(7)!;

describe('the 本人交付 (受給者交付用) data path', () => {
  it('when built from a row whose file carried numbers, the copy has the person’s slip data and no 12- or 13-digit run at all', () => {
    const [self, spouse] = syntheticMyNumbers(2, 77);
    const cells = unifiedCells({ 94: '7000012050002', 95: self!, 96: 'ﾔﾏﾀﾞ ﾊﾅｺ', 97: '山田　花子', 98: '00', 99: spouse! });
    const row = toPayRow(cells, 1, L7).row!;
    const { copy, problems } = buildSelfCopy(row);
    expect(problems).toEqual([]);
    expect(copy).toMatchObject({ payee: { name: '山田　太郎', employeeCode: '1001' }, amounts: { pay: '4000000' }, spouse: { name: '山田　花子' } });
    const text = JSON.stringify(copy);
    expect(text).not.toMatch(TWELVE_DIGITS);
    expect(text).not.toContain('7000012050002');
    expect(text).not.toContain(self);
  });

  it('when 摘要 has a number typed into it, the copy is refused rather than printed', () => {
    const [n] = syntheticMyNumbers(1, 78);
    const fw = n!.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const row = toPayRow(unifiedCells({ 86: `番号${fw}` }), 3, L7).row!;
    expect(buildSelfCopy(row)).toEqual({ problems: [expect.objectContaining({ code: 'selfCopy.digitRun', line: 3 })] });
  });

  it('when its source is read, it imports nothing that can hold numbers (the vault, the readers, the number-filling writer)', () => {
    // The dependency-cruiser rule checks reachability; this names the direct imports too.
    const src = fs.readFileSync(path.join(ROOT, 'server/bundles/self-copy.ts'), 'utf8');
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['./layout/fields.js', './problems.js', './rows.js']);
    const rule = fs.readFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), 'utf8');
    expect(rule).toContain("name: 'self-copy-reaches-no-numbers'");
  });
});
