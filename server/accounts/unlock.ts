import { unlockUser } from '../auth/throttle.js';
import type { Deps } from '../deps.js';
import { auditAs, type Acting } from './acting.js';
import type { PersonRow } from './repo.js';

/**
 * Ends a login lock — the hard lock after limits.login.hardLockFailures
 * failures lasts until the director does exactly this — with its audit entry
 * in the same transaction.
 */
export async function unlockAccount(deps: Deps, acting: Acting, person: PersonRow, action: 'staff.unlock' | 'credential.unlock'): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await unlockUser(trx, person.id, now);
    await auditAs(trx, deps, acting, {
      action,
      companyId: person.companyId,
      targetIds: [person.id],
      details: { wasHardLocked: person.hardLocked },
    });
  });
}
