import { findUserById } from '../auth/repo.js';
import { lockedForUpdate } from '../db/dialect.js';
import type { Db } from './repo.js';

/**
 * Queries of the reveal limit: the hourly count of a staff member's reveals,
 * the block it starts, its one alert, and the director lifting it. Ids and
 * times only (P3).
 */
export type { Db };

/**
 * Serialises one person's reveals: on PostgreSQL the user row is locked for
 * the transaction, so two reveals at the same moment cannot both count 49 and
 * pass as the 50th and 51st. (SQLite has one writer at a time already.)
 */
export async function lockUser(db: Db, userId: string): Promise<void> {
  await lockedForUpdate(db, db.selectFrom('users').select('id').where('id', '=', userId)).execute();
}

export interface BlockRow {
  userId: string;
  blockedAt: string;
  alertedAt: string | null;
  liftedAt: string | null;
  liftedBy: string | null;
}

export async function findBlock(db: Db, userId: string): Promise<BlockRow | null> {
  const row = await db.selectFrom('reveal_blocks').selectAll().where('user_id', '=', userId).executeTakeFirst();
  return row ? { userId: row.user_id, blockedAt: row.blocked_at, alertedAt: row.alerted_at, liftedAt: row.lifted_at, liftedBy: row.lifted_by } : null;
}

/** Starts a block (or a new one after a lift); the alert is to be sent again for it. */
export async function startBlock(db: Db, userId: string, now: string): Promise<void> {
  await db
    .insertInto('reveal_blocks')
    .values({ user_id: userId, blocked_at: now, alerted_at: null, lifted_at: null, lifted_by: null })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ blocked_at: now, alerted_at: null, lifted_at: null, lifted_by: null }))
    .execute();
}

/** Claims the block's one alert: true for exactly one caller per block. */
export async function claimAlert(db: Db, userId: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('reveal_blocks')
    .set({ alerted_at: now })
    .where('user_id', '=', userId)
    .where('alerted_at', 'is', null)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function liftBlock(db: Db, userId: string, by: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('reveal_blocks')
    .set({ lifted_at: now, lifted_by: by })
    .where('user_id', '=', userId)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function countRevealsSince(db: Db, userId: string, since: string): Promise<number> {
  const { n } = await db
    .selectFrom('reveal_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function insertRevealEvent(db: Db, row: { id: string; userId: string; at: string }): Promise<void> {
  await db.insertInto('reveal_events').values({ id: row.id, user_id: row.userId, at: row.at }).execute();
}

/** Events that no rolling window can count any more. */
export async function pruneRevealEvents(db: Db, userId: string, before: string): Promise<void> {
  await db.deleteFrom('reveal_events').where('user_id', '=', userId).where('at', '<=', before).execute();
}

export interface BlockedUser {
  userId: string;
  displayName: string;
  loginId: string;
  role: string;
  blockedAt: string;
  alertedAt: string | null;
}

export async function listActiveBlocks(db: Db): Promise<BlockedUser[]> {
  const rows = await db
    .selectFrom('reveal_blocks')
    .innerJoin('users', 'users.id', 'reveal_blocks.user_id')
    .select(['reveal_blocks.user_id', 'users.display_name', 'users.login_id', 'users.role', 'reveal_blocks.blocked_at', 'reveal_blocks.alerted_at'])
    .where('reveal_blocks.lifted_at', 'is', null)
    .orderBy('reveal_blocks.blocked_at', 'desc')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, loginId: r.login_id, role: r.role, blockedAt: r.blocked_at, alertedAt: r.alerted_at }));
}

export async function findOfficeUser(db: Db, id: string): Promise<{ id: string; role: string; status: string; displayName: string; loginId: string } | null> {
  const row = await findUserById(db, id);
  return row ? { id: row.id, role: row.role, status: row.status, displayName: row.display_name, loginId: row.login_id } : null;
}
