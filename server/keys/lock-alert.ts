import type { Transaction } from 'kysely';
import { appendAudit } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { createI18n } from '../i18n/i18n.js';
import { bilingualMessage, oneLine } from '../mail/compose.js';
import { formatJst } from '../notify/jst.js';
import { randomId } from './random.js';
import type { HolderLock } from './unlock-repo.js';

/**
 * The directors' alert when a key holder's passphrase entry is locked.
 *
 * Two channels, each honest about itself:
 * - the console notice (key_lock_alerts) is written in the same transaction
 *   as the lock, so it exists whenever the lock does — whether or not any
 *   mail can go out;
 * - the e-mail goes after commit to every active director with an address.
 *   The notice records what became of it: 'sent' only once the mailer said
 *   the message was accepted, 'none' when no director has an address,
 *   'failed' when sending failed. Nothing claims a delivery that did not happen.
 * The mail names the holder and the lock — never a passphrase, a number or
 * which records were wanted (it may be forwarded; PPC guideline).
 */
export type AlertDeps = Pick<Deps, 'db' | 'secrets' | 'clock' | 'mailer' | 'logger' | 'config'>;

/** Inside the lock's transaction: the console notice. Returns its id, for the mail that follows. */
export async function recordLockNotice(trx: Transaction<Database>, userId: string, lock: HolderLock, now: Date): Promise<string> {
  const id = randomId();
  await trx
    .insertInto('key_lock_alerts')
    .values({ id, user_id: userId, kind: lock.kind, created_at: now.toISOString(), locked_until: lock.lockedUntil, mailed_at: null, acknowledged_at: null, acknowledged_by: null })
    .execute();
  return id;
}

/**
 * E-mails the directors about one notice and records the outcome on it and in
 * the audit trail (`key.passphrase.alert`, result ok only when sent). Never
 * throws: the lock stands whatever happens to the mail.
 */
export async function mailLockNotice(deps: AlertDeps, alertId: string): Promise<void> {
  let state: 'sent' | 'none' | 'failed' = 'failed';
  let recipients = 0;
  let holderId: string | null = null;
  try {
    const alert = await deps.db
      .selectFrom('key_lock_alerts as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .select(['a.user_id', 'a.kind', 'a.created_at', 'a.locked_until', 'u.display_name', 'u.login_id'])
      .where('a.id', '=', alertId)
      .executeTakeFirstOrThrow();
    holderId = alert.user_id;
    const to = plainAddresses(
      (await deps.db.selectFrom('users').select('email').where('role', '=', 'director').where('status', '=', 'active').where('email', 'is not', null).execute()).map(
        (r) => r.email ?? '',
      ),
    );
    recipients = to.length;
    if (to.length === 0) {
      state = 'none';
      deps.logger.warn({ alertId }, 'key passphrase lock: no active director has an e-mail address; the console notice stands alone');
    } else {
      const i18n = await createI18n();
      const v = {
        name: oneLine(alert.display_name),
        login: oneLine(alert.login_id),
        at: formatJst(alert.created_at),
        until: alert.locked_until ? formatJst(alert.locked_until) : '',
      };
      const what = alert.kind === 'hard' ? 'keyLocks.mail.whatHard' : 'keyLocks.mail.whatTemporary';
      const message = bilingualMessage(to, { ja: i18n.getFixedT('ja'), en: i18n.getFixedT('en') }, 'keyLocks.mail.subject', v, (tl) => [
        tl('keyLocks.mail.greeting'),
        '',
        tl(what, v),
        tl('keyLocks.mail.todo'),
        `${deps.config.publicUrl}/office/key-locks`,
        '',
        tl('keyLocks.mail.automatic'),
      ]);
      await deps.mailer.send(message);
      state = 'sent';
    }
  } catch (err) {
    state = 'failed';
    deps.logger.error({ alertId, err: err instanceof Error ? err.name : 'error' }, 'key passphrase lock: the directors could not be e-mailed');
  }
  const now = deps.clock.now();
  try {
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('key_lock_alerts')
        .set({ mail_state: state, mail_recipients: state === 'sent' ? recipients : 0, mailed_at: state === 'sent' ? now.toISOString() : null })
        .where('id', '=', alertId)
        .execute();
      await appendAudit(trx, { key: deps.secrets.audit, now: () => now }, {
        action: 'key.passphrase.alert',
        actorId: null,
        actorRole: null,
        targetIds: holderId ? [holderId] : [],
        result: state === 'sent' ? 'ok' : 'failed',
        details: { alertId, mail: state, recipients: state === 'sent' ? recipients : 0 },
      });
    });
  } catch (err) {
    deps.logger.error({ alertId, err: err instanceof Error ? err.name : 'error' }, 'key passphrase lock: the alert outcome could not be recorded');
  }
}

/** Single plain mailboxes only: a stored "a@x, b@y" must not add recipients or headers. */
function plainAddresses(emails: readonly string[]): string[] {
  const ok = /^[^\s@,;:<>()"'\\[\]]+@[^\s@,;:<>()"'\\[\]]+$/;
  const seen = new Set<string>();
  return emails.map((e) => e.trim()).filter((e) => ok.test(e) && !seen.has(e.toLowerCase()) && !!seen.add(e.toLowerCase()));
}
