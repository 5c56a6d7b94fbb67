import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * The one atomic-claim throttle behind the login account brake
 * (auth/throttle.ts, columns of `users`) and the key passphrase brake
 * (keys/unlock-repo.ts, `key_unlock_throttle`): a run of failures with a
 * temporary lock, and a count since the last success with a hard lock.
 *
 * Claim first, evaluate second. Threat: a parallel burst. If the limit were
 * read first and the failure counted after the (slow) password or S2K check,
 * many parallel guesses would all read "not locked" and all be evaluated. So a
 * try claims its slot with ONE conditional statement that counts and checks
 * together (an UPDATE, or an upsert whose update is conditional, atomic on
 * SQLite and PostgreSQL); only a claimed try is evaluated. A failure keeps its
 * slot and sets the lock it reached, once; a try that tested nothing gives it back.
 *
 * A run ends after a quiet `windowMs` with no failure (never weaker than a
 * sliding window: any N failures inside one window are in one run).
 */
type Db = Kysely<Database> | Transaction<Database>;

export interface ThrottleTable {
  table: 'users' | 'key_unlock_throttle';
  /** The column that names whose row it is. */
  key: 'id' | 'user_id';
  /** Failures since the last success; failures in this run; the run's last failure. */
  sinceSuccess: 'failed_since_success';
  runCount: 'fail_window_count' | 'window_count';
  runLast: 'fail_window_last' | 'window_last';
  /** The first claim makes the row (a table of its own), or the row is always there (columns of `users`). */
  createsRow: boolean;
}

export interface ThrottleLimits {
  /** Failures in one run that lock for `lockMs`. */
  runFailures: number;
  windowMs: number;
  lockMs: number;
  /** Failures since the last success that lock until a director lifts it. */
  hardLockFailures: number;
}

export interface ThrottleLock {
  kind: 'temporary' | 'hard';
  lockedUntil: string | null;
}

const iso = (now: Date, plusMs = 0) => new Date(now.getTime() + plusMs).toISOString();

// The table is one of two known ones; the typed builder cannot follow a table chosen at run time.
const loose = (db: Db) => db as unknown as Kysely<any>;

/**
 * Claims one try: true when it may be evaluated. Refused while hard-locked,
 * locked, or the run already holds `runFailures` (or `hardLockFailures` since
 * the last success) tries, counted or in flight. A row that does not exist
 * (an unknown user on `users`) claims nothing, in the same one statement.
 */
export async function claimTry(db: Db, t: ThrottleTable, L: ThrottleLimits, id: string, now: Date): Promise<boolean> {
  const at = iso(now);
  const c = (name: string) => sql.ref(`${t.table}.${name}`);
  // Evaluated on the row as it was before this statement (SQL evaluates every SET against the old row).
  const newRun = sql<boolean>`(${c(t.runLast)} is null or ${c(t.runLast)} <= ${iso(now, -L.windowMs)} or ${c(t.sinceSuccess)} = 0)`;
  const set = {
    [t.sinceSuccess]: sql<number>`${c(t.sinceSuccess)} + 1`,
    [t.runCount]: sql<number>`case when ${newRun} then 1 else ${c(t.runCount)} + 1 end`,
    [t.runLast]: at,
    updated_at: at,
  };
  const claimable = (eb: any) =>
    eb.and([
      eb(`${t.table}.hard_locked`, '=', 0),
      eb.or([eb(`${t.table}.locked_until`, 'is', null), eb(`${t.table}.locked_until`, '<=', at)]),
      eb(`${t.table}.${t.sinceSuccess}`, '<', L.hardLockFailures),
      eb.or([newRun, eb(`${t.table}.${t.runCount}`, '<', L.runFailures)]),
    ]);
  if (!t.createsRow) {
    const row = await loose(db).updateTable(t.table).set(set).where(t.key, '=', id).where(claimable).returning(t.key).executeTakeFirst();
    return row !== undefined;
  }
  const row = await loose(db)
    .insertInto(t.table)
    .values({ [t.key]: id, [t.sinceSuccess]: 1, [t.runCount]: 1, [t.runLast]: at, locked_until: null, hard_locked: 0, updated_at: at })
    .onConflict((oc) => oc.column(t.key).doUpdateSet(set).where(claimable))
    .returning(t.key)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * After a claimed try failed, inside the caller's transaction: sets the lock
 * its claim reached — hard first, else temporary. A lock already in force is
 * not set again, so each lock is audited (and alerted) once.
 */
export async function lockIfReached(trx: Transaction<Database>, t: ThrottleTable, L: ThrottleLimits, id: string, now: Date): Promise<ThrottleLock | null> {
  const at = iso(now);
  const hard = await loose(trx)
    .updateTable(t.table)
    .set({ hard_locked: 1, updated_at: at })
    .where(t.key, '=', id)
    .where('hard_locked', '=', 0)
    .where(t.sinceSuccess, '>=', L.hardLockFailures)
    .executeTakeFirst();
  if (Number(hard.numUpdatedRows) === 1) return { kind: 'hard', lockedUntil: null };
  const until = iso(now, L.lockMs);
  const temp = await loose(trx)
    .updateTable(t.table)
    .set({ locked_until: until, updated_at: at })
    .where(t.key, '=', id)
    .where('hard_locked', '=', 0)
    // Failures before the last success do not count: both counters must reach the limit.
    .where(t.runCount, '>=', L.runFailures)
    .where(t.sinceSuccess, '>=', L.runFailures)
    .where((eb: any) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
    .executeTakeFirst();
  return Number(temp.numUpdatedRows) === 1 ? { kind: 'temporary', lockedUntil: until } : null;
}

/** Gives back a claimed try that tested nothing, or turned out right without ending the run (a step-up). */
export async function releaseTry(db: Db, t: ThrottleTable, id: string): Promise<void> {
  await loose(db)
    .updateTable(t.table)
    .set({
      [t.sinceSuccess]: sql<number>`case when ${sql.ref(t.sinceSuccess)} > 0 then ${sql.ref(t.sinceSuccess)} - 1 else 0 end`,
      [t.runCount]: sql<number>`case when ${sql.ref(t.runCount)} > 0 then ${sql.ref(t.runCount)} - 1 else 0 end`,
    })
    .where(t.key, '=', id)
    .execute();
}
