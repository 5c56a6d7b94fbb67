import type { Transaction } from 'kysely';
import { systemActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { findUserById } from '../auth/repo.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { bilingualMessage, oneLine } from '../mail/compose.js';
import { mailDirectorAlert, raiseDirectorAlert } from '../notify/director-alerts.js';
import { jstStamp } from '../lib/jst.js';
import { KEY_LOCK_ALERT } from '../notify/alert-kinds.js';
import type { HolderLock } from './unlock-repo.js';

/**
 * The directors' alert when a key holder's passphrase entry is locked — a
 * director alert (notify/director-alerts.ts) like every other, so it has one
 * console notice, one "seen" and one honest mail state:
 * - the alert is raised in the same transaction as the lock, so it is on the
 *   console whenever the lock exists, whether or not any mail can go out;
 * - the e-mail goes after commit to every active director with an address;
 *   the alert records 'sent' only once the mailer accepted the message,
 *   'nobody' when no director has an address, 'failed' when sending failed.
 * The lock itself (and whether it still holds) lives in key_unlock_throttle.
 * The mail names the holder and the lock — never a passphrase, a number or
 * which records were wanted (it may be forwarded; PPC guideline).
 */
export type AlertDeps = Pick<Deps, 'db' | 'secrets' | 'clock' | 'mailer' | 'logger' | 'config' | 'i18n'>;

/** Inside the lock's transaction: the console notice. Returns its id, for the mail that follows. */
export function raiseLockAlert(trx: Transaction<Database>, userId: string, lock: HolderLock, now: Date): Promise<string> {
  return raiseDirectorAlert(trx, { kind: KEY_LOCK_ALERT[lock.kind], aboutUserId: userId, now });
}

/**
 * E-mails the directors about one lock alert (the outcome is recorded on the
 * alert) and audits it (`key.passphrase.alert`, result ok only when sent).
 * Never throws: the lock stands whatever happens to the mail.
 */
export async function mailLockAlert(deps: AlertDeps, alertId: string, userId: string, lock: HolderLock, at: Date): Promise<void> {
  const mail = await mailDirectorAlert(deps, alertId, async (to) => {
    const holder = await findUserById(deps.db, userId);
    if (!holder) throw new Error('key holder not found for a lock alert');
    const i18n = deps.i18n;
    const v = {
      name: oneLine(holder.display_name),
      login: oneLine(holder.login_id),
      at: jstStamp(at.toISOString()),
      until: lock.lockedUntil ? jstStamp(lock.lockedUntil) : '',
    };
    const what = lock.kind === 'hard' ? 'keyLocks.mail.whatHard' : 'keyLocks.mail.whatTemporary';
    return bilingualMessage(to, { ja: i18n.getFixedT('ja'), en: i18n.getFixedT('en') }, 'keyLocks.mail.subject', v, (tl) => [
      tl('keyLocks.mail.greeting'),
      '',
      tl(what, v),
      tl('keyLocks.mail.todo'),
      `${deps.config.publicUrl}/office/key-locks`,
      '',
      tl('keyLocks.mail.automatic'),
    ]);
  });
  const now = deps.clock.now();
  try {
    await deps.db.transaction().execute((trx) =>
      record(trx, systemActing({ key: deps.secrets.audit, now: () => now }, null), {
        action: 'key.passphrase.alert',
        targetIds: [userId],
        result: mail.state === 'sent' ? 'ok' : 'failed',
        details: { alertId, mail: mail.state, recipients: mail.recipients },
      }),
    );
  } catch (err) {
    deps.logger.error({ alertId, err: err instanceof Error ? err.name : 'error' }, 'key passphrase lock: the alert outcome could not be audited');
  }
}
