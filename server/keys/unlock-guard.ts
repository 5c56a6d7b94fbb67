import type { Transaction } from 'kysely';
import type * as openpgp from 'openpgp';
import { requestActing } from '../audit/acting.js';
import { record, type RecordedEvent } from '../audit/record.js';
import type { Database } from '../db/schema.js';
import { findUserById } from '../auth/repo.js';
import { KeyPassphraseLocked, WrongKeyPassphrase } from './errors.js';
import { mailLockAlert, raiseLockAlert, type AlertDeps } from './lock-alert.js';
import type { KeyCopyRow } from './repo.js';
import { decryptInThread } from './unlock-thread.js';
import { claimTry, failuresOf, lockIfReached, lockOf, releaseTry, resetTries } from './unlock-repo.js';

/**
 * Every try of a key passphrase, on every form that takes one (ingest,
 * reveal, passphrase change, designating a holder), passes here (issue 12
 * item 3). Threat: someone in a holder's session — or the holder's chair —
 * guessing the passphrase that opens the office key: unlimited, unseen, and
 * each guess a slice of the server's CPU.
 *
 * In order: the try is claimed (one conditional statement, unlock-repo.ts;
 * refused while locked) → the S2K runs on the unlock thread (unlock-thread.ts),
 * never on the event loop → a right passphrase restarts the counts; a wrong
 * one is audited (`key.passphrase.failure`: form and count, never the
 * passphrase) and may set the lock (`key.passphrase.lockout`), whose director
 * alert is raised in the same transaction and whose e-mail goes after commit
 * (lock-alert.ts). Refused tries are audited too (`key.passphrase.refused`).
 */
/** Which form took the passphrase ('other': a caller outside the web forms, e.g. the CLI or a bench). */
export type PassphraseForm = 'ingest' | 'reveal' | 'passphraseChange' | 'holderAdd' | 'other';

export interface TryContext {
  form: PassphraseForm;
  requestId?: string | null;
}

export async function guardedDecrypt(deps: AlertDeps, copy: KeyCopyRow, passphrase: string, ctx: TryContext): Promise<openpgp.PrivateKey> {
  const { userId } = copy;
  const now = deps.clock.now();
  const person = await findUserById(deps.db, userId);
  const acting = requestActing({ key: deps.secrets.audit, now: () => now }, { userId, role: person?.role ?? null, requestId: ctx.requestId ?? null });
  const audit = (e: Pick<RecordedEvent, 'action' | 'result' | 'details'>) => (trx: Transaction<Database>) => record(trx, acting, { targetIds: [userId], ...e });

  if (!(await claimTry(deps.db, userId, now))) {
    const lock = await lockOf(deps.db, userId, now);
    const kind = lock?.kind ?? 'temporary';
    await deps.db.transaction().execute(audit({ action: 'key.passphrase.refused', result: 'denied', details: { form: ctx.form, lock: kind } }));
    throw new KeyPassphraseLocked(kind);
  }

  let outcome: Awaited<ReturnType<typeof decryptInThread>>;
  try {
    outcome = await decryptInThread(copy.lockedPrivateKey, passphrase);
  } catch (err) {
    await releaseTry(deps.db, userId); // no passphrase was tested
    throw err;
  }
  if (outcome.ok) {
    await resetTries(deps.db, userId, now);
    return outcome.key;
  }
  if (outcome.error === 'damaged') {
    await releaseTry(deps.db, userId);
    // A stored copy that does not parse is damage, not a wrong passphrase: an internal error.
    throw new Error('the stored key copy could not be read');
  }

  const { lock, alertId } = await deps.db.transaction().execute(async (trx) => {
    const lock = await lockIfReached(trx, userId, now);
    await audit({ action: 'key.passphrase.failure', result: 'denied', details: { form: ctx.form, failuresSinceSuccess: await failuresOf(trx, userId) } })(trx);
    if (!lock) return { lock, alertId: null };
    await audit({ action: 'key.passphrase.lockout', result: 'ok', details: { form: ctx.form, kind: lock.kind, lockedUntil: lock.lockedUntil } })(trx);
    return { lock, alertId: await raiseLockAlert(trx, userId, lock, now) };
  });
  deps.logger.warn({ userId, form: ctx.form, requestId: ctx.requestId ?? null, locked: lock?.kind ?? null }, 'wrong key passphrase');
  // After commit and not awaited: the holder's answer does not wait for a slow mail server.
  if (alertId && lock) void mailLockAlert(deps, alertId, userId, lock, now);
  throw lock ? new KeyPassphraseLocked(lock.kind) : new WrongKeyPassphrase();
}
