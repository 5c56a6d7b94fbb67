import type { Kysely, Transaction } from 'kysely';
import { directorExists as authDirectorExists } from '../auth/repo.js';
import type { Database } from '../db/schema.js';

/** Queries of the first-run setup. Tokens are stored only as SHA-256 (a database copy opens no setup page). */
type Db = Kysely<Database> | Transaction<Database>;

/**
 * The office row has this fixed id: one office per installation, and the
 * primary key makes two setups racing on different tokens (several app
 * instances on PostgreSQL) fail instead of creating two offices and directors.
 */
export const OFFICE_ID = 'office';

export async function directorExists(db: Db): Promise<boolean> {
  return authDirectorExists(db);
}

export async function officeExists(db: Db): Promise<boolean> {
  return !!(await db.selectFrom('office').select('id').limit(1).executeTakeFirst());
}

/** A new start replaces tokens nobody used in time; used ones stay as a record. */
export async function replaceExpiredTokens(db: Db, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
  await db.deleteFrom('setup_tokens').where('used_at', 'is', null).where('expires_at', '<=', now.toISOString()).execute();
  await db.insertInto('setup_tokens').values({ token_hash: tokenHash, expires_at: expiresAt.toISOString(), used_at: null }).execute();
}

export async function isUsableToken(db: Db, tokenHash: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('setup_tokens')
    .select('token_hash')
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return !!row;
}

/** Single use, atomically: only one of two racing submissions can claim the token. */
export async function claimToken(db: Db, tokenHash: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('setup_tokens')
    .set({ used_at: now.toISOString() })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Once a director exists every other link is useless; remove them so none lingers. */
export async function deleteUnusedTokens(db: Db): Promise<void> {
  await db.deleteFrom('setup_tokens').where('used_at', 'is', null).execute();
}

export async function insertOffice(db: Db, name: string, now: Date): Promise<void> {
  await db.insertInto('office').values({ id: OFFICE_ID, name, created_at: now.toISOString() }).execute();
}

export async function insertOfficeKey(db: Db, fingerprint: string, publicKey: string, now: Date): Promise<void> {
  await db.insertInto('office_keys').values({ fingerprint, public_key: publicKey, created_at: now.toISOString() }).execute();
}

export async function insertDirector(
  db: Db,
  d: { id: string; loginId: string; displayName: string; email: string | null; passwordHash: string; totpSecretSealed: string; totpStep: number; now: Date },
): Promise<void> {
  const at = d.now.toISOString();
  await db
    .insertInto('users')
    .values({
      id: d.id,
      role: 'director',
      company_id: null,
      login_id: d.loginId,
      display_name: d.displayName,
      email: d.email,
      status: 'active',
      password_hash: d.passwordHash,
      password_is_initial: 0,
      initial_expires_at: null,
      totp_secret_sealed: d.totpSecretSealed,
      totp_enrolled: 1,
      totp_last_step: d.totpStep,
      key_holder: 1,
      failed_since_success: 0,
      locked_until: null,
      hard_locked: 0,
      created_at: at,
      updated_at: at,
    })
    .execute();
}
