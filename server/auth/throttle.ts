import { sql, type Kysely, type Transaction } from 'kysely';
import { limits } from '../config.js';
import { claimTry, lockIfReached, releaseTry, type ThrottleLimits, type ThrottleTable } from '../db/claim-throttle.js';
import type { Database } from '../db/schema.js';
import { randomId } from '../lib/random.js';

/**
 * Login throttling (security.md "login throttle"), three independent brakes:
 *
 * - per IP: `ipFailures` failures in one run → the IP is refused for
 *   `ipBlockMs`, before any account is even looked up. This is what stops a
 *   password spray: one address cannot keep feeding guesses into many accounts.
 * - per account: `accountFailures` failures in one run (and since the last
 *   success) → refused for `accountLockMs`.
 * - per account: `hardLockFailures` failures since the last success →
 *   refused until the director unlocks it (`unlockUser`).
 *
 * A "run" ends after a quiet period of the window length (`accountWindowMs`,
 * `ipWindowMs`) with no failure. That is never weaker than a sliding window:
 * any N failures inside one window are in one run.
 *
 * Claim first, evaluate second (the account brake is db/claim-throttle.ts, shared
 * with the key passphrase brake). Threat: a parallel burst. If the limit were
 * checked by reading and the failure counted after the (slow) password check,
 * 150 parallel guesses would all read "not locked" and all be evaluated — and
 * 20 of them would hard-lock the account at once, so anyone who knows a login
 * id could force a director-only unlock. So each attempt first claims a slot
 * with ONE conditional statement that counts and checks together (an UPDATE
 * or upsert on the row holding the counter, atomic on SQLite and PostgreSQL);
 * only a claimed attempt is evaluated. A failure keeps its slot and applies
 * the lock it reaches; a success gives the slots back.
 *
 * Only attempts that were actually evaluated against an account count toward
 * that account. Attempts refused because the IP is blocked or the account is
 * locked test nothing, so they add nothing to the account's counts — a sprayer
 * cannot push other people's accounts toward the hard lock by hammering while
 * they are locked. Every attempt that passes the IP claim counts for the IP.
 */
type Db = Kysely<Database> | Transaction<Database>;
const L = limits.login;

const iso = (now: Date, plusMs = 0) => new Date(now.getTime() + plusMs).toISOString();

/** The account brake: the shared claim throttle (db/claim-throttle.ts) on the counters of `users`. */
const ACCOUNT: ThrottleTable = {
  table: 'users',
  key: 'id',
  sinceSuccess: 'failed_since_success',
  runCount: 'fail_window_count',
  runLast: 'fail_window_last',
  createsRow: false,
};
const accountLimits = (): ThrottleLimits => ({ runFailures: L.accountFailures, windowMs: L.accountWindowMs, lockMs: L.accountLockMs, hardLockFailures: L.hardLockFailures });

/**
 * Claims one attempt for this client address: false when the address is
 * blocked or its run already holds `ipFailures` attempts (counted or in flight).
 */
export async function claimIp(db: Db, ip: string, now: Date): Promise<boolean> {
  const at = iso(now);
  const runOver = sql<boolean>`${sql.ref('login_ip_throttle.window_last')} <= ${iso(now, -L.ipWindowMs)}`;
  const row = await db
    .insertInto('login_ip_throttle')
    .values({ ip, failures: 1, window_last: at, blocked_until: null })
    .onConflict((oc) =>
      oc
        .column('ip')
        .doUpdateSet({
          failures: sql<number>`case when ${runOver} then 1 else ${sql.ref('login_ip_throttle.failures')} + 1 end`,
          window_last: at,
        })
        .where((eb) =>
          eb.and([
            eb.or([eb('login_ip_throttle.blocked_until', 'is', null), eb('login_ip_throttle.blocked_until', '<=', at)]),
            eb.or([runOver, eb('login_ip_throttle.failures', '<', L.ipFailures)]),
          ]),
        ),
    )
    .returning('failures')
    .executeTakeFirst();
  return row !== undefined;
}

export type AccountClaim = 'ok' | 'hard' | 'temporary';

/**
 * Claims one evaluation of this account's password (or second factor). Refused
 * while it is hard-locked, locked, or its run already holds `accountFailures`
 * (or `hardLockFailures` since the last success) attempts, counted or in flight.
 * An unknown id claims nothing (and costs the same one statement).
 */
export async function claimAccount(db: Db, userId: string, now: Date): Promise<AccountClaim> {
  const claimed = await claimTry(db, ACCOUNT, accountLimits(), userId, now);
  if (claimed) return 'ok';
  const u = await db.selectFrom('users').select(['hard_locked', 'failed_since_success']).where('id', '=', userId).executeTakeFirst();
  return u && (u.hard_locked === 1 || u.failed_since_success >= L.hardLockFailures) ? 'hard' : 'temporary';
}

export interface FailureEffects {
  /** The account was locked by this failure (temporary or hard). */
  lockout: 'account' | 'hard' | null;
  /** The IP was blocked by this failure. */
  ipBlocked: boolean;
}

/**
 * Records one failed attempt inside the caller's transaction and applies the
 * brakes its claims reached. `userId` is given only when the attempt claimed
 * and was evaluated against that account (see above). Each lock is set by
 * exactly one failure (the conditions exclude a lock already in force), so it
 * is audited once.
 */
export async function recordFailure(trx: Transaction<Database>, a: { userId: string | null; ip: string; now: Date }): Promise<FailureEffects> {
  const at = iso(a.now);
  await trx.insertInto('login_attempts').values({ id: randomId(), user_id: a.userId, ip: a.ip, at, success: 0 }).execute();
  let lockout: FailureEffects['lockout'] = null;

  if (a.userId) {
    const lock = await lockIfReached(trx, ACCOUNT, accountLimits(), a.userId, a.now);
    if (lock) lockout = lock.kind === 'hard' ? 'hard' : 'account';
  }

  const blocked = await trx
    .updateTable('login_ip_throttle')
    .set({ blocked_until: iso(a.now, L.ipBlockMs) })
    .where('ip', '=', a.ip)
    .where('failures', '>=', L.ipFailures)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<=', at)]))
    .executeTakeFirst();
  return { lockout, ipBlocked: Number(blocked.numUpdatedRows) === 1 };
}

/** Gives back this attempt's slot of the address (it was no failure). */
export async function releaseIp(db: Db, ip: string): Promise<void> {
  await db.updateTable('login_ip_throttle').set({ failures: sql<number>`failures - 1` }).where('ip', '=', ip).where('failures', '>', 0).execute();
}

/** Gives back an account claim that turned out right without being a login (a step-up). */
export async function releaseAccount(db: Db, userId: string): Promise<void> {
  await releaseTry(db, ACCOUNT, userId);
}

/** A successful login clears the account's counters and gives back its IP slot (not the IP's run: one good account must not reset a sprayer's count). */
export async function recordSuccess(trx: Transaction<Database>, a: { userId: string; ip: string; now: Date }): Promise<void> {
  const at = iso(a.now);
  await trx.insertInto('login_attempts').values({ id: randomId(), user_id: a.userId, ip: a.ip, at, success: 1 }).execute();
  await trx
    .updateTable('users')
    .set({ failed_since_success: 0, fail_window_count: 0, fail_window_last: null, locked_until: null, updated_at: at })
    .where('id', '=', a.userId)
    .execute();
  await releaseIp(trx, a.ip);
}

/**
 * Lifts a temporary or hard lock (the director's "unlock" in the console; the
 * caller writes the audit record in the same transaction). Counts restart at 0.
 */
export async function unlockUser(db: Db, userId: string, now?: Date): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({
      hard_locked: 0,
      locked_until: null,
      failed_since_success: 0,
      fail_window_count: 0,
      fail_window_last: null,
      ...(now ? { updated_at: now.toISOString() } : {}),
    })
    .where('id', '=', userId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Housekeeping for `kinko` maintenance: attempts older than `before` only matter for forensics. */
export async function pruneLoginAttempts(db: Db, before: Date): Promise<number> {
  const at = before.toISOString();
  await db
    .deleteFrom('login_ip_throttle')
    .where('window_last', '<', at)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', at)]))
    .execute();
  const r = await db.deleteFrom('login_attempts').where('at', '<', at).executeTakeFirst();
  return Number(r.numDeletedRows);
}
