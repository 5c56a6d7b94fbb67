import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The auth domain's queries on `users` and `sessions`. Other domains read
 * what they need about a person or a session through the functions here,
 * never by their own query on those tables.
 */
type Db = Kysely<Database> | Transaction<Database>;

/** The name staff see for a user (who did it); null for an unknown id. */
export async function displayNameOf(db: Db, userId: string): Promise<string | null> {
  const r = await db.selectFrom('users').select('display_name').where('id', '=', userId).executeTakeFirst();
  return r?.display_name ?? null;
}

/** Whether setup has made a director yet. */
export async function directorExists(db: Db): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('role', '=', 'director').limit(1).executeTakeFirst();
  return !!row;
}

/** One person's account as other domains need it (no secrets); undefined for an unknown id. */
export function findUserById(db: Db, userId: string) {
  return db.selectFrom('users').select(['id', 'role', 'status', 'display_name', 'login_id', 'email', 'key_holder']).where('id', '=', userId).executeTakeFirst();
}

/** The account with its password hash, for a re-entered password (keys: holder copies). */
export function findUserWithPasswordHash(db: Db, userId: string) {
  return db.selectFrom('users').select(['id', 'role', 'status', 'password_hash']).where('id', '=', userId).executeTakeFirst();
}

// ---- users, as login, enrolment and step-up read and change them ---------

/** What a login needs of an account, by login id; undefined for an unknown id. */
export function findUserByLoginId(db: Db, loginId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'role', 'company_id', 'status', 'password_hash', 'password_is_initial', 'initial_expires_at', 'totp_secret_sealed', 'totp_enrolled'])
    .where('login_id', '=', loginId)
    .executeTakeFirst();
}

/** What enrolment needs of an account. */
export function findEnrollee(db: Db, userId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'role', 'company_id', 'login_id', 'status', 'password_hash', 'password_is_initial', 'totp_enrolled', 'totp_secret_sealed'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** What a step-up needs of the signed-in account. */
export function findStepUpUser(db: Db, userId: string) {
  return db.selectFrom('users').select(['id', 'role', 'company_id', 'status', 'totp_secret_sealed']).where('id', '=', userId).executeTakeFirst();
}

/** A room's client account by login id, for "is this a first login?"; undefined when there is none. */
export function findRoomClientByLoginId(db: Db, companyId: string, loginId: string) {
  return db
    .selectFrom('users')
    .select(['password_is_initial', 'totp_enrolled'])
    .where('login_id', '=', loginId)
    .where('role', '=', 'client')
    .where('company_id', '=', companyId)
    .executeTakeFirst();
}

/** Spends a still-valid initial password (it "expires now"); false when a parallel login spent it first. */
export async function spendInitialPassword(db: Db, userId: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({ initial_expires_at: now })
    .where('id', '=', userId)
    .where('password_is_initial', '=', 1)
    .where('initial_expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setTotpSecret(db: Db, userId: string, sealed: string): Promise<void> {
  await db.updateTable('users').set({ totp_secret_sealed: sealed }).where('id', '=', userId).execute();
}

/** Compare-and-set of the last accepted TOTP step (second-factor.ts says why). */
export async function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const r = await db.updateTable('users').set({ totp_last_step: step }).where('id', '=', userId).where('totp_last_step', '<', step).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Enrolment done: the new password (if one was set) replaces the initial one; a confirmed code enrols the second factor. */
export async function completeEnrolment(db: Db, userId: string, change: { newHash: string | null; enrolled: boolean }, at: string): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(change.newHash ? { password_hash: change.newHash, password_is_initial: 0 as const, initial_expires_at: null } : {}),
      ...(change.enrolled ? { totp_enrolled: 1 as const } : {}),
      updated_at: at,
    })
    .where('id', '=', userId)
    .execute();
}

// ---- sessions -------------------------------------------------------------

export function insertSession(db: Db, row: Database['sessions']) {
  return db.insertInto('sessions').values(row).execute();
}

/** A session with what decides whether it is still alive: its user's role, status and lock, the company's status. */
export function findSessionWithUser(db: Db, idHash: string) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('companies as c', 'c.id', 'u.company_id')
    .select([
      's.id_hash', 's.stage', 's.created_at', 's.last_seen_at', 's.step_up_at',
      'u.id as user_id', 'u.role', 'u.status', 'u.company_id', 'u.key_holder', 'u.hard_locked',
      'c.status as company_status',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
}

/**
 * Whether the uploading session is still alive at commit time (drops): the
 * row still exists (not logged out, not killed by revocation) and its user
 * and company are active. Idle time is not judged here — the upload itself
 * was activity.
 */
export async function sessionStillLive(db: Db, sessionIdHash: string): Promise<boolean> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('companies as c', 'c.id', 'u.company_id')
    .select(['u.status', 'u.hard_locked', 'u.role', 'c.status as company_status', 's.stage'])
    .where('s.id_hash', '=', sessionIdHash)
    .executeTakeFirst();
  if (!row) return false;
  return row.stage === 'full' && row.status === 'active' && row.hard_locked === 0 && (row.role !== 'client' || row.company_status === 'active');
}

export async function setSessionLastSeen(db: Db, idHash: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

export async function setSessionStepUp(db: Db, idHash: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ step_up_at: at }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Every session of the user; how many there were. */
export async function deleteUserSessions(db: Db, userId: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export function listSessionsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('sessions')
    .select(['id_hash', 'created_at', 'last_seen_at', 'ip', 'user_agent', 'stage'])
    .where('user_id', '=', userId)
    .orderBy('last_seen_at', 'desc')
    .execute();
}
