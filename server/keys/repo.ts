import type { Kysely, Transaction } from 'kysely';
import { findUserWithPasswordHash } from '../auth/repo.js';
import type { Database } from '../db/schema.js';

/** Queries for the office key and its locked copies. Plain objects out; no secrets are logged here. */
type Db = Kysely<Database> | Transaction<Database>;

export interface OfficeKeyRow {
  fingerprint: string;
  publicKey: string;
}

export async function findOfficeKey(db: Db): Promise<OfficeKeyRow | null> {
  // One office key per office (design §3). Oldest first, should a rotation ever add a second row.
  const row = await db.selectFrom('office_keys').select(['fingerprint', 'public_key']).orderBy('created_at', 'asc').executeTakeFirst();
  return row ? { fingerprint: row.fingerprint, publicKey: row.public_key } : null;
}

export interface KeyCopyRow {
  userId: string;
  fingerprint: string;
  lockedPrivateKey: string;
  mustChange: boolean;
}

export async function findKeyCopy(db: Db, userId: string): Promise<KeyCopyRow | null> {
  const row = await db
    .selectFrom('key_copies')
    .select(['user_id', 'fingerprint', 'locked_private_key', 'must_change'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? { userId: row.user_id, fingerprint: row.fingerprint, lockedPrivateKey: row.locked_private_key, mustChange: row.must_change === 1 } : null;
}

/**
 * Counts the copies, first locking them all on PostgreSQL, so two removals
 * running at once cannot both see "2 left" and delete the last copy between
 * them. (SQLite serialises writers already and has no FOR UPDATE.)
 */
export async function countKeyCopiesLocked(db: Db): Promise<number> {
  if (db.getExecutor().adapter.constructor.name.startsWith('Postgres')) {
    await db.selectFrom('key_copies').select('user_id').forUpdate().execute();
  }
  return countKeyCopies(db);
}

export async function countKeyCopies(db: Db): Promise<number> {
  const row = await db.selectFrom('key_copies').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface PersonRow {
  id: string;
  role: 'director' | 'staff' | 'client';
  status: 'active' | 'revoked';
  passwordHash: string | null;
}

export async function findPerson(db: Db, userId: string): Promise<PersonRow | null> {
  const row = await findUserWithPasswordHash(db, userId);
  return row ? { id: row.id, role: row.role, status: row.status, passwordHash: row.password_hash } : null;
}

export async function insertKeyCopy(
  db: Db,
  copy: { userId: string; fingerprint: string; lockedPrivateKey: string; mustChange: boolean; createdBy: string | null; now: Date },
): Promise<void> {
  await db
    .insertInto('key_copies')
    .values({
      user_id: copy.userId,
      fingerprint: copy.fingerprint,
      locked_private_key: copy.lockedPrivateKey,
      must_change: copy.mustChange ? 1 : 0,
      created_by: copy.createdBy,
      created_at: copy.now.toISOString(),
    })
    .execute();
}

/** Compare-and-set: replaces the copy only if it is still the one the caller unlocked (no lost update). */
export async function replaceKeyCopy(db: Db, userId: string, expectedLocked: string, newLocked: string): Promise<boolean> {
  const r = await db
    .updateTable('key_copies')
    .set({ locked_private_key: newLocked, must_change: 0 })
    .where('user_id', '=', userId)
    .where('locked_private_key', '=', expectedLocked)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteKeyCopy(db: Db, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('key_copies').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function setKeyHolderFlag(db: Db, userId: string, holder: boolean, now: Date): Promise<void> {
  await db.updateTable('users').set({ key_holder: holder ? 1 : 0, updated_at: now.toISOString() }).where('id', '=', userId).execute();
}
