import type { Kysely, Transaction } from 'kysely';
import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';

/**
 * The office's policy for identity images after a confirmation (issue 18 §3):
 * how many days they are kept, 0 (the default) meaning not at all — they go
 * with the submission at confirmation. The director sets it, with a fresh
 * step-up (the route), audited. The policy in force at a confirmation sets
 * that submission's `keep_until`; a later, shorter policy shortens what is
 * kept already (never a longer one: images kept under a short promise are
 * not kept longer by a later change), so "0" empties the store at the next
 * run, which the save starts at once.
 */
const ROW = 'office';

export interface ImagePolicy {
  keepDays: number;
  updatedAt: string | null;
}

export async function imagePolicy(db: Kysely<Database> | Transaction<Database>): Promise<ImagePolicy> {
  const row = await db.selectFrom('collect_image_policy').select(['keep_days', 'updated_at']).where('id', '=', ROW).executeTakeFirst();
  return { keepDays: row ? Number(row.keep_days) : 0, updatedAt: row?.updated_at ?? null };
}

/** Whole days 0…limits.collect.imageKeepMaxDays, typed as the director typed them (full-width digits read as ASCII). */
export function parseKeepDays(raw: unknown): number {
  const text = String(raw ?? '').normalize('NFKC').trim();
  if (!/^\d{1,3}$/.test(text)) throw new BadRequest('collect.errors.keepDaysInvalid');
  const days = Number(text);
  if (days > limits.collect.imageKeepMaxDays) throw new BadRequest('collect.errors.keepDaysTooLong');
  return days;
}

/** Saves the policy and shortens what is kept to it; returns how many kept image sets it shortened. */
export async function saveImagePolicy(deps: Deps, acting: Acting, keepDays: number): Promise<{ shortened: number }> {
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (trx) => {
    const before = await imagePolicy(trx);
    await trx.deleteFrom('collect_image_policy').where('id', '=', ROW).execute();
    await trx.insertInto('collect_image_policy').values({ id: ROW, keep_days: keepDays, updated_by: acting.userId ?? '', updated_at: now }).execute();
    let shortened = 0;
    const kept = await trx.selectFrom('collect_kept_images').select(['id', 'confirmed_at', 'keep_until']).where('state', '=', 'kept').execute();
    for (const k of kept) {
      const until = new Date(Date.parse(k.confirmed_at!) + keepDays * 24 * 60 * 60_000).toISOString();
      if (until >= k.keep_until!) continue;
      await trx.updateTable('collect_kept_images').set({ keep_until: until, updated_at: now }).where('id', '=', k.id).execute();
      shortened++;
    }
    await record(trx, acting, { action: 'collect.imagePolicySaved', details: { keepDays, previousDays: before.keepDays, shortened } });
    return { shortened };
  });
}
