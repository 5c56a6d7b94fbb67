import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { auditAs, type Acting } from './acting.js';
import type { PersonRow } from './repo.js';

// TEMPORARY until server/auth provides unlockUser(db, userId).
async function unlockUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.updateTable('users').set({ hard_locked: 0, locked_until: null, failed_since_success: 0 }).where('id', '=', userId).execute();
}

/**
 * Ends a login lock — the hard lock after limits.login.hardLockFailures
 * failures lasts until the director does exactly this — with its audit entry
 * in the same transaction.
 */
export async function unlockAccount(deps: Deps, acting: Acting, person: PersonRow, action: 'staff.unlock' | 'credential.unlock'): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await unlockUser(trx, person.id);
    await auditAs(trx, deps, acting, {
      action,
      companyId: person.companyId,
      targetIds: [person.id],
      details: { wasHardLocked: person.hardLocked },
    });
  });
}
