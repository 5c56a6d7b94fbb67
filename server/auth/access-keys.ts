import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { randomId, sha256 } from '../lib/random.js';

/**
 * A room's access key: 192 random bits in the bookmarked URL (/room/<key>).
 * Only its SHA-256 is searchable in the database; a sealed copy lets the
 * director reprint the sheet. A wrong, rotated or revoked key must answer
 * exactly like any unknown URL (404), so callers get `null` for all of them.
 */
export function newAccessKey(): string {
  return randomId(24);
}

export function accessKeyHash(key: string): string {
  return sha256(key);
}

/** Shape check first: junk never reaches the database. */
export function looksLikeAccessKey(key: string): boolean {
  return /^[A-Za-z0-9_-]{32}$/.test(key);
}

export async function findActiveCompanyByAccessKey(db: Kysely<Database>, key: string) {
  if (!looksLikeAccessKey(key)) return null;
  const row = await db
    .selectFrom('companies')
    .select(['id', 'name', 'status'])
    .where('access_key_hash', '=', accessKeyHash(key))
    .executeTakeFirst();
  return row && row.status === 'active' ? row : null;
}
