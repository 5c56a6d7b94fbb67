import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Every audit entry is written through server/audit/record.ts
// (record(trx, acting, event)), which takes actor, role and request id from the
// acting context. A module outside server/audit/ calling the low-level
// appendAudit fails this test.

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no module outside server/audit/ calls appendAudit', () => {
  const callers = files('server').filter((f) => !f.startsWith('server/audit/') && /\bappendAudit\b/.test(readFileSync(f, 'utf8')));
  expect(callers).toEqual([]);
});
