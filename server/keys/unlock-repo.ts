import type { Kysely, Transaction } from 'kysely';
import { limits } from '../config.js';
import {
  claimTry as claim,
  lockIfReached as lockReached,
  releaseTry as release,
  type ThrottleLimits,
  type ThrottleLock,
  type ThrottleTable,
} from '../db/claim-throttle.js';
import type { Database } from '../db/schema.js';

/**
 * Queries of the key passphrase throttle (key_unlock_throttle), which is
 * each holder's lock itself (its alerts are director alerts). Ids, counts and times only:
 * nothing here ever sees a passphrase.
 */
type Db = Kysely<Database> | Transaction<Database>;
const K = limits.keyPassphrase;

const iso = (now: Date, plusMs = 0) => new Date(now.getTime() + plusMs).toISOString();

/** The holder brake: the shared claim throttle (db/claim-throttle.ts) on a table of its own. */
const HOLDER: ThrottleTable = {
  table: 'key_unlock_throttle',
  key: 'user_id',
  sinceSuccess: 'failed_since_success',
  runCount: 'window_count',
  runLast: 'window_last',
  createsRow: true,
};
const holderLimits = (): ThrottleLimits => ({ runFailures: K.holderFailures, windowMs: K.windowMs, lockMs: K.lockMs, hardLockFailures: K.hardLockFailures });

/**
 * Claims one passphrase try for this holder with ONE statement that counts
 * and checks (an upsert whose update is conditional), before any S2K runs:
 * parallel tries cannot all read "not locked". Refused (false) while the
 * holder is hard-locked, locked, or the run already holds `holderFailures`
 * (or `hardLockFailures` since the last success) tries, counted or in flight.
 * A run ends after a quiet `windowMs`, as for logins (auth/throttle.ts).
 */
export function claimTry(db: Db, userId: string, now: Date): Promise<boolean> {
  return claim(db, HOLDER, holderLimits(), userId, now);
}

export type HolderLock = ThrottleLock;

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
export function lockIfReached(trx: Transaction<Database>, userId: string, now: Date): Promise<HolderLock | null> {
  return lockReached(trx, HOLDER, holderLimits(), userId, now);
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
export function releaseTry(db: Db, userId: string): Promise<void> {
  return release(db, HOLDER, userId);
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
