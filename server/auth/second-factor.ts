import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { Sealer } from '../lib/secret-box.js';
import * as repo from './repo.js';
import { matchTotp } from './totp.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Claims a TOTP time step for a user with one compare-and-set: only a step
 * greater than the last accepted one wins, so a code is good exactly once —
 * a replayed code, an older code, or the losers of twenty parallel logins with
 * the same code all see 0 rows updated.
 */
export function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  return repo.claimTotpStep(db, userId, step);
}

/** What people type: full-width digits from a Japanese IME, spaces or hyphens between the groups. */
export function normaliseCode(input: unknown): string {
  if (typeof input !== 'string' || input.length > 32) return '';
  return input.normalize('NFKC').replace(/[\s-]/g, '');
}

export type TotpCheck = 'ok' | 'bad' | 'replay';

/** Checks a code against the user's sealed secret and claims its step. */
export async function checkUserTotp(
  db: Db,
  signingSecret: Buffer,
  user: { id: string; totp_secret_sealed: string | null },
  code: string,
  now: Date,
): Promise<TotpCheck> {
  if (!user.totp_secret_sealed) return 'bad';
  const secret = new Sealer(signingSecret).unseal(user.totp_secret_sealed, 'totp');
  const step = await matchTotp(secret, code, now);
  if (step === null) return 'bad';
  return (await claimTotpStep(db, user.id, step)) ? 'ok' : 'replay';
}
