import type { Kysely, Transaction } from 'kysely';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import { randomId } from '../keys/random.js';

/**
 * Login throttling (security.md "login throttle"), three independent brakes:
 *
 * - per IP: `ipFailures` failures within `ipWindowMs` → the IP is refused for
 *   `ipBlockMs`, before any account is even looked up. This is what stops a
 *   password spray: one address cannot keep feeding guesses into many accounts.
 * - per account: `accountFailures` evaluated failures within `accountWindowMs`
 *   (and since the last success) → refused for `accountLockMs`.
 * - per account: `hardLockFailures` evaluated failures since the last success →
 *   refused until the director unlocks it (`unlockUser`).
 *
 * Only attempts that were actually evaluated against an account count toward
 * that account (`login_attempts.user_id` set). Attempts refused because the IP
 * is blocked or the account is already locked test nothing, so they add nothing
 * to the account's counts — a sprayer cannot push other people's accounts
 * toward the hard lock by hammering while they are locked. Every refused or
 * failed attempt still counts for the IP.
 */
type Db = Kysely<Database> | Transaction<Database>;

export async function ipBlocked(db: Db, ip: string, now: Date): Promise<boolean> {
  const row = await db.selectFrom('ip_blocks').select('until').where('ip', '=', ip).executeTakeFirst();
  return !!row && Date.parse(row.until) > now.getTime();
}

export interface LockState {
  hard_locked: 0 | 1;
  locked_until: string | null;
}

export function accountLocked(u: LockState, now: Date): 'hard' | 'temporary' | null {
  if (u.hard_locked === 1) return 'hard';
  if (u.locked_until && Date.parse(u.locked_until) > now.getTime()) return 'temporary';
  return null;
}

export interface FailureEffects {
  /** The account was locked by this failure (temporary or hard). */
  lockout: 'account' | 'hard' | null;
  /** The IP was blocked by this failure. */
  ipBlocked: boolean;
}

/**
 * Records one failed attempt inside the caller's transaction and applies the
 * brakes it triggers. `userId` is given only when the attempt was evaluated
 * against that account (see above).
 */
export async function recordFailure(trx: Transaction<Database>, a: { userId: string | null; ip: string; now: Date }): Promise<FailureEffects> {
  const L = limits.login;
  const at = a.now.toISOString();
  await trx.insertInto('login_attempts').values({ id: randomId(), user_id: a.userId, ip: a.ip, at, success: 0 }).execute();
  let lockout: FailureEffects['lockout'] = null;

  if (a.userId) {
    const u = await trx
      .updateTable('users')
      .set((eb) => ({ failed_since_success: eb('failed_since_success', '+', 1), updated_at: at }))
      .where('id', '=', a.userId)
      .returning(['failed_since_success', 'hard_locked', 'locked_until'])
      .executeTakeFirst();
    if (u && u.hard_locked === 0) {
      if (u.failed_since_success >= L.hardLockFailures) {
        await trx.updateTable('users').set({ hard_locked: 1, updated_at: at }).where('id', '=', a.userId).execute();
        lockout = 'hard';
      } else {
        const since = new Date(a.now.getTime() - L.accountWindowMs).toISOString();
        const inWindow = await countFailures(trx, 'user_id', a.userId, since);
        // Failures before the last success do not count: min() of the two counters.
        if (Math.min(inWindow, u.failed_since_success) >= L.accountFailures) {
          await trx
            .updateTable('users')
            .set({ locked_until: new Date(a.now.getTime() + L.accountLockMs).toISOString(), updated_at: at })
            .where('id', '=', a.userId)
            .execute();
          lockout = 'account';
        }
      }
    }
  }

  const ipSince = new Date(a.now.getTime() - L.ipWindowMs).toISOString();
  const ipCount = await countFailures(trx, 'ip', a.ip, ipSince);
  let blocked = false;
  if (ipCount >= L.ipFailures) {
    const until = new Date(a.now.getTime() + L.ipBlockMs).toISOString();
    await trx
      .insertInto('ip_blocks')
      .values({ ip: a.ip, until })
      .onConflict((oc) => oc.column('ip').doUpdateSet({ until }))
      .execute();
    blocked = true;
  }
  return { lockout, ipBlocked: blocked };
}

async function countFailures(trx: Transaction<Database>, column: 'user_id' | 'ip', value: string, since: string): Promise<number> {
  const r = await trx
    .selectFrom('login_attempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(column, '=', value)
    .where('success', '=', 0)
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A successful login clears the account's counters (not the IP's: one good account must not reset a sprayer's count). */
export async function recordSuccess(trx: Transaction<Database>, a: { userId: string; ip: string; now: Date }): Promise<void> {
  const at = a.now.toISOString();
  await trx.insertInto('login_attempts').values({ id: randomId(), user_id: a.userId, ip: a.ip, at, success: 1 }).execute();
  await trx.updateTable('users').set({ failed_since_success: 0, locked_until: null, updated_at: at }).where('id', '=', a.userId).execute();
}

/**
 * Lifts a temporary or hard lock (the director's "unlock" in the console; the
 * caller writes the audit record in the same transaction). Counts restart at 0.
 */
export async function unlockUser(db: Db, userId: string, now?: Date): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({ hard_locked: 0, locked_until: null, failed_since_success: 0, ...(now ? { updated_at: now.toISOString() } : {}) })
    .where('id', '=', userId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Housekeeping for `kinko` maintenance: attempts older than `before` only matter for forensics. */
export async function pruneLoginAttempts(db: Db, before: Date): Promise<number> {
  const at = before.toISOString();
  await db.deleteFrom('ip_blocks').where('until', '<', at).execute();
  const r = await db.deleteFrom('login_attempts').where('at', '<', at).executeTakeFirst();
  return Number(r.numDeletedRows);
}
