import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import type { Actor } from '../http/policies.js';
import * as repo from './repo.js';
import { checkUserTotp, normaliseCode } from './second-factor.js';
import { markStepUp } from './sessions.js';
import { claimAccount, claimIp, recordFailure, releaseAccount, releaseIp } from './throttle.js';

/**
 * Step-up: a fresh TOTP code right before a sensitive action (issuing or
 * revoking credentials, approving disposal, bulk reveal). The code's step is
 * claimed like a login code. Wrong codes count as login failures of the
 * account, so a stolen session cannot be used to brute-force the second factor;
 * like a login, the attempt claims its IP and account slots before the code is
 * checked (throttle.ts), and a right code gives them back.
 */
export async function stepUp(deps: Deps, actor: Actor, code: unknown, meta: { ip: string; requestId?: string }): Promise<boolean> {
  const now = deps.clock.now();
  const user = await repo.findStepUpUser(deps.db, actor.userId);
  if (!user || user.status !== 'active') return false;
  if (!(await claimIp(deps.db, meta.ip, now))) return false;
  if ((await claimAccount(deps.db, user.id, now)) !== 'ok') {
    await releaseIp(deps.db, meta.ip); // refused unevaluated, as a locked account's step-up always was
    return false;
  }
  const result = await checkUserTotp(deps.db, deps.secrets.signing, user, normaliseCode(code), now);
  if (result === 'ok') {
    await markStepUp(deps.db, actor.sessionId, now);
    await releaseAccount(deps.db, user.id);
    await releaseIp(deps.db, meta.ip);
  }
  await deps.db.transaction().execute(async (trx) => {
    const acting = requestActing(auditContext(deps), { userId: user.id, role: user.role, companyId: user.company_id, requestId: meta.requestId ?? null });
    const base = { targetIds: [user.id] };
    if (result === 'ok') {
      await record(trx, acting, { ...base, action: 'auth.step_up', result: 'ok' });
      return;
    }
    const effects = await recordFailure(trx, { userId: user.id, ip: meta.ip, now });
    await record(trx, acting, { ...base, action: result === 'replay' ? 'login.totp_replay' : 'auth.step_up', result: 'denied', details: { reason: result } });
    if (effects.lockout) await record(trx, acting, { ...base, action: 'login.lockout', details: { kind: effects.lockout } });
    if (effects.ipBlocked) await record(trx, acting, { ...base, action: 'login.lockout', details: { kind: 'ip', ip: meta.ip } });
  });
  return result === 'ok';
}

/** Only a path inside the office console may be the target after step-up (no open redirect). */
export function safeOfficeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 500) return '/office';
  if (!/^\/office(?:[/?#]|$)/.test(next) || next.includes('\\') || next.includes('//')) return '/office';
  return next;
}
