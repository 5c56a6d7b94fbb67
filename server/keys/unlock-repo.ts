import { sql, type Kysely, type Transaction } from 'kysely';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';

/**
 * Queries of the key passphrase throttle (key_unlock_throttle), which is
 * each holder's lock itself (its alerts are director alerts). Ids, counts and times only:
 * nothing here ever sees a passphrase.
 */
type Db = Kysely<Database> | Transaction<Database>;
const K = limits.keyPassphrase;

const iso = (now: Date, plusMs = 0) => new Date(now.getTime() + plusMs).toISOString();

/**
 * Claims one passphrase try for this holder with ONE statement that counts
 * and checks (an upsert whose update is conditional), before any S2K runs:
 * parallel tries cannot all read "not locked". Refused (false) while the
 * holder is hard-locked, locked, or the run already holds `holderFailures`
 * (or `hardLockFailures` since the last success) tries, counted or in flight.
 * A run ends after a quiet `windowMs`, as for logins (auth/throttle.ts).
 */
export async function claimTry(db: Db, userId: string, now: Date): Promise<boolean> {
  const at = iso(now);
  const t = (c: string) => sql.ref(`key_unlock_throttle.${c}`);
  const newRun = sql<boolean>`(${t('window_last')} is null or ${t('window_last')} <= ${iso(now, -K.windowMs)} or ${t('failed_since_success')} = 0)`;
  const row = await db
    .insertInto('key_unlock_throttle')
    .values({ user_id: userId, failed_since_success: 1, window_count: 1, window_last: at, locked_until: null, hard_locked: 0, updated_at: at })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({
          failed_since_success: sql<number>`${t('failed_since_success')} + 1`,
          window_count: sql<number>`case when ${newRun} then 1 else ${t('window_count')} + 1 end`,
          window_last: at,
          updated_at: at,
        })
        .where((eb) =>
          eb.and([
            eb('key_unlock_throttle.hard_locked', '=', 0),
            eb.or([eb('key_unlock_throttle.locked_until', 'is', null), eb('key_unlock_throttle.locked_until', '<=', at)]),
            eb('key_unlock_throttle.failed_since_success', '<', K.hardLockFailures),
            eb.or([newRun, eb('key_unlock_throttle.window_count', '<', K.holderFailures)]),
          ]),
        ),
    )
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}

export interface HolderLock {
  kind: 'temporary' | 'hard';
  lockedUntil: string | null;
}

/** The lock in force for this holder now, if any (also while the run is full of tries in flight). */
export async function lockOf(db: Db, userId: string, now: Date): Promise<HolderLock | null> {
  const r = await db.selectFrom('key_unlock_throttle').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!r) return null;
  if (r.hard_locked === 1 || r.failed_since_success >= K.hardLockFailures) return { kind: 'hard', lockedUntil: null };
  if (r.locked_until && r.locked_until > iso(now)) return { kind: 'temporary', lockedUntil: r.locked_until };
  return { kind: 'temporary', lockedUntil: null };
}

/**
 * After a claimed try failed: sets the lock its claim reached, once (a lock
 * already in force is not set again, so each lock is audited and alerted once).
 */
export async function lockIfReached(trx: Transaction<Database>, userId: string, now: Date): Promise<HolderLock | null> {
  const at = iso(now);
  const hard = await trx
    .updateTable('key_unlock_throttle')
    .set({ hard_locked: 1, updated_at: at })
    .where('user_id', '=', userId)
    .where('hard_locked', '=', 0)
    .where('failed_since_success', '>=', K.hardLockFailures)
    .executeTakeFirst();
  if (Number(hard.numUpdatedRows) === 1) return { kind: 'hard', lockedUntil: null };
  const until = iso(now, K.lockMs);
  const temp = await trx
    .updateTable('key_unlock_throttle')
    .set({ locked_until: until, updated_at: at })
    .where('user_id', '=', userId)
    .where('hard_locked', '=', 0)
    .where('window_count', '>=', K.holderFailures)
    .where('failed_since_success', '>=', K.holderFailures)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
    .executeTakeFirst();
  return Number(temp.numUpdatedRows) === 1 ? { kind: 'temporary', lockedUntil: until } : null;
}

/** Failures since the last success (for the audit entry). */
export async function failuresOf(db: Db, userId: string): Promise<number> {
  const r = await db.selectFrom('key_unlock_throttle').select('failed_since_success').where('user_id', '=', userId).executeTakeFirst();
  return r?.failed_since_success ?? 0;
}

/** The right passphrase: the run and the count since success restart. */
export async function resetTries(db: Db, userId: string, now: Date): Promise<void> {
  await db
    .updateTable('key_unlock_throttle')
    .set({ failed_since_success: 0, window_count: 0, window_last: null, locked_until: null, updated_at: iso(now) })
    .where('user_id', '=', userId)
    .where('hard_locked', '=', 0)
    .execute();
}

/** A try that was claimed but never tested a passphrase (the thread failed): its slot is given back. */
export async function releaseTry(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('key_unlock_throttle')
    .set({
      failed_since_success: sql<number>`case when failed_since_success > 0 then failed_since_success - 1 else 0 end`,
      window_count: sql<number>`case when window_count > 0 then window_count - 1 else 0 end`,
    })
    .where('user_id', '=', userId)
    .execute();
}

/** The director lifts a holder's lock (temporary or hard); false when there was none. */
export async function liftLock(trx: Db, userId: string, now: Date): Promise<boolean> {
  const at = iso(now);
  const r = await trx
    .updateTable('key_unlock_throttle')
    .set({ failed_since_success: 0, window_count: 0, window_last: null, locked_until: null, hard_locked: 0, updated_at: at })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('hard_locked', '=', 1), eb('locked_until', '>', at), eb('failed_since_success', '>=', K.hardLockFailures)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Holders whose passphrase entry is locked now (the director's page). */
export async function lockedHolders(db: Db, now: Date) {
  const at = iso(now);
  return db
    .selectFrom('key_unlock_throttle as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .select(['k.user_id as userId', 'u.display_name as displayName', 'u.login_id as loginId', 'k.hard_locked as hardLocked', 'k.locked_until as lockedUntil'])
    .where((eb) => eb.or([eb('k.hard_locked', '=', 1), eb('k.locked_until', '>', at), eb('k.failed_since_success', '>=', K.hardLockFailures)]))
    .orderBy('u.display_name')
    .execute();
}
