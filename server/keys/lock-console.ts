import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { findUserById } from '../auth/repo.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../http/errors.js';
import type { DirectorAlertMailState } from '../db/tables/director-alerts.js';
import { acknowledgeDirectorAlertsAbout, recentDirectorAlerts } from '../notify/director-alerts.js';
import { KEY_LOCK_ALERT, KEY_LOCK_ALERT_KINDS, lockedUntilOfAlert } from '../notify/alert-kinds.js';
import { liftLock, lockedHolders } from './unlock-repo.js';

/**
 * The director's side of the key passphrase locks (/office/key-locks): who is
 * locked now (key_unlock_throttle, the lock itself), every lock alert of the
 * last NOTICE_DAYS with what became of its e-mail, and lifting a lock. The
 * alerts are director alerts (notify/director-alerts.ts): shown on the
 * console until seen and marked seen through /office/alerts/:id/ack, so a
 * lock is never only an e-mail and is never announced twice.
 */
export const NOTICE_DAYS = 30;

type ConsoleDeps = Pick<Deps, 'db' | 'clock' | 'secrets'>;

export interface LockNotice {
  id: string;
  userId: string;
  displayName: string;
  loginId: string;
  kind: 'temporary' | 'hard';
  createdAt: string;
  lockedUntil: string | null;
  mail: DirectorAlertMailState;
  recipients: number;
  seen: boolean;
}

const since = (now: Date) => new Date(now.getTime() - NOTICE_DAYS * 24 * 60 * 60_000).toISOString();

export async function keyLockPage(deps: ConsoleDeps): Promise<{ locked: Awaited<ReturnType<typeof lockedHolders>>; notices: LockNotice[] }> {
  const now = deps.clock.now();
  const rows = await recentDirectorAlerts(deps.db, KEY_LOCK_ALERT_KINDS, since(now));
  return {
    locked: await lockedHolders(deps.db, now),
    notices: rows.map((r) => ({
      id: r.id,
      userId: r.aboutUserId ?? '',
      displayName: r.aboutName ?? '',
      loginId: r.aboutLoginId ?? '',
      kind: r.kind === KEY_LOCK_ALERT.hard ? 'hard' : 'temporary',
      createdAt: r.createdAt,
      lockedUntil: lockedUntilOfAlert(r.kind, r.createdAt),
      mail: r.mailState,
      recipients: r.recipients,
      seen: r.seen,
    })),
  };
}

/**
 * A director lifts a holder's passphrase lock (audit `key.passphrase.unlock`);
 * the holder's open lock alerts count as seen. A director may lift their own
 * lock — an office with one director would otherwise lose its key for good —
 * with a fresh step-up (the route's policy) and the trail showing it.
 */
export async function liftKeyLock(deps: ConsoleDeps, by: { userId: string; role: string }, userId: string, requestId: string | null): Promise<boolean> {
  if (by.role !== 'director') throw new Forbidden();
  const person = typeof userId === 'string' && userId ? await findUserById(deps.db, userId) : undefined;
  if (!person || person.role === 'client') throw new NotFound();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await liftLock(trx, person.id, now))) return false;
    await acknowledgeDirectorAlertsAbout(trx, { kinds: KEY_LOCK_ALERT_KINDS, aboutUserId: person.id, by: by.userId, now });
    await record(trx, requestActing({ key: deps.secrets.audit, now: () => now }, { userId: by.userId, role: by.role, requestId }), {
      action: 'key.passphrase.unlock',
      targetIds: [person.id],
      details: { self: by.userId === person.id },
    });
    return true;
  });
}
