import { appendAudit } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../http/errors.js';
import { liftLock, lockedHolders } from './unlock-repo.js';

/**
 * The director's side of the key passphrase locks (/office/key-locks): who is
 * locked now, every lock notice of the last NOTICE_DAYS with what became of
 * its e-mail, lifting a lock and marking a notice as seen. The console shows a
 * banner while any notice is unseen, so a lock is never only an e-mail.
 */
export const NOTICE_DAYS = 30;
const NOTICE_LIMIT = 100;

type ConsoleDeps = Pick<Deps, 'db' | 'clock' | 'secrets'>;

export interface LockNotice {
  id: string;
  userId: string;
  displayName: string;
  loginId: string;
  kind: 'temporary' | 'hard';
  createdAt: string;
  lockedUntil: string | null;
  mail: 'pending' | 'sent' | 'none' | 'failed';
  recipients: number;
  seen: boolean;
}

const since = (now: Date) => new Date(now.getTime() - NOTICE_DAYS * 24 * 60 * 60_000).toISOString();

export async function keyLockPage(deps: ConsoleDeps): Promise<{ locked: Awaited<ReturnType<typeof lockedHolders>>; notices: LockNotice[] }> {
  const now = deps.clock.now();
  const rows = await deps.db
    .selectFrom('key_lock_alerts as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select(['a.id', 'a.user_id', 'u.display_name', 'u.login_id', 'a.kind', 'a.created_at', 'a.locked_until', 'a.mail_state', 'a.mail_recipients', 'a.acknowledged_at'])
    .where('a.created_at', '>', since(now))
    .orderBy('a.created_at', 'desc')
    .limit(NOTICE_LIMIT)
    .execute();
  return {
    locked: await lockedHolders(deps.db, now),
    notices: rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      displayName: r.display_name,
      loginId: r.login_id,
      kind: r.kind,
      createdAt: r.created_at,
      lockedUntil: r.locked_until,
      mail: r.mail_state,
      recipients: r.mail_recipients,
      seen: r.acknowledged_at !== null,
    })),
  };
}

/** Unseen lock notices (the console banner). */
export async function unseenLockNotices(deps: ConsoleDeps): Promise<number> {
  const r = await deps.db
    .selectFrom('key_lock_alerts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('acknowledged_at', 'is', null)
    .where('created_at', '>', since(deps.clock.now()))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * A director lifts a holder's passphrase lock (audit `key.passphrase.unlock`);
 * the holder's notices count as seen. A director may lift their own lock —
 * an office with one director would otherwise lose its key for good — with a
 * fresh step-up (the route's policy) and the trail showing it.
 */
export async function liftKeyLock(deps: ConsoleDeps, by: { userId: string; role: string }, userId: string, requestId: string | null): Promise<boolean> {
  if (by.role !== 'director') throw new Forbidden();
  const person = typeof userId === 'string' && userId ? await deps.db.selectFrom('users').select(['id', 'role']).where('id', '=', userId).executeTakeFirst() : undefined;
  if (!person || person.role === 'client') throw new NotFound();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await liftLock(trx, person.id, now))) return false;
    await trx
      .updateTable('key_lock_alerts')
      .set({ acknowledged_at: now.toISOString(), acknowledged_by: by.userId })
      .where('user_id', '=', person.id)
      .where('acknowledged_at', 'is', null)
      .execute();
    await appendAudit(trx, { key: deps.secrets.audit, now: () => now }, {
      action: 'key.passphrase.unlock',
      actorId: by.userId,
      actorRole: by.role,
      targetIds: [person.id],
      requestId,
      details: { self: by.userId === person.id },
    });
    return true;
  });
}

/** Marks one notice as seen by a director (the lock itself is untouched); an unknown id is 404. */
export async function acknowledgeLockNotice(deps: ConsoleDeps, by: { userId: string; role: string }, id: string, requestId: string | null): Promise<void> {
  if (by.role !== 'director') throw new Forbidden();
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('key_lock_alerts')
      .set({ acknowledged_at: now.toISOString(), acknowledged_by: by.userId })
      .where('id', '=', typeof id === 'string' ? id : '')
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      // Already seen: nothing to do. No such notice: answered like any unknown id.
      const known = await trx.selectFrom('key_lock_alerts').select('id').where('id', '=', typeof id === 'string' ? id : '').executeTakeFirst();
      if (!known) throw new NotFound();
      return;
    }
    await appendAudit(trx, { key: deps.secrets.audit, now: () => now }, {
      action: 'key.passphrase.alert.seen',
      actorId: by.userId,
      actorRole: by.role,
      requestId,
      details: { alertId: id },
    });
  });
}
