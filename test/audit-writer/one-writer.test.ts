import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Every audit entry should be written through server/audit/record.ts
// (record(trx, acting, event)), which takes actor, role and request id from the
// acting context. Modules below still call the low-level appendAudit directly;
// this list may only shrink: a new module calling appendAudit fails this test.
const NOT_YET_MOVED = new Set([
  'server/auth/step-up.ts',
  'server/auth/enrolment.ts',
  'server/auth/login-service.ts',
  'server/notify/director-alerts.ts',
  'server/notify/recipients.ts',
  'server/vault/reveal.ts',
  'server/vault/reveal-limit.ts',
  'server/ingest/dispose.ts',
  'server/ingest/commit.ts',
  'server/setup/service.ts',
  'server/keys/office-key.ts',
  'server/keys/unlock-guard.ts',
  'server/keys/lock-console.ts',
  'server/keys/lock-alert.ts',
  'server/drops/service.ts',
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no module outside server/audit/ calls appendAudit (except those not yet moved to record)', () => {
  const callers = files('server').filter((f) => !f.startsWith('server/audit/') && /\bappendAudit\b/.test(readFileSync(f, 'utf8')));
  expect(callers.filter((f) => !NOT_YET_MOVED.has(f))).toEqual([]);
});
