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
