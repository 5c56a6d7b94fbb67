import { sql, type Kysely } from 'kysely';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';

const L = limits.collect;
const iso = (now: Date, plusMs = 0) => new Date(now.getTime() + plusMs).toISOString();

/**
 * The brake on link guessing. A link has 192 bits, so guessing one is hopeless
 * anyway; the brake keeps a scanner from hammering the lookup at all and makes
 * the attempt visible. Shaped like the login throttle (auth/throttle.ts):
 * each lookup first claims a slot in ONE conditional upsert, so a parallel
 * burst is evaluated at most `guessFailures` times per run; a lookup that
 * finds a live link gives its slot back; the claim that fills the run blocks
 * the address for `guessBlockMs`. A run ends after `guessWindowMs` quiet.
 */
export async function claimLinkLookup(db: Kysely<Database>, ip: string, now: Date): Promise<boolean> {
  const at = iso(now);
  const runOver = sql<boolean>`${sql.ref('collect_link_throttle.window_last')} <= ${iso(now, -L.guessWindowMs)}`;
  const row = await db
    .insertInto('collect_link_throttle')
    .values({ ip, failures: 1, window_last: at, blocked_until: null })
    .onConflict((oc) =>
      oc
        .column('ip')
        .doUpdateSet({
          failures: sql<number>`case when ${runOver} then 1 else ${sql.ref('collect_link_throttle.failures')} + 1 end`,
          window_last: at,
          blocked_until: null,
        })
        .where((eb) =>
          eb.and([
            eb.or([eb('collect_link_throttle.blocked_until', 'is', null), eb('collect_link_throttle.blocked_until', '<=', at)]),
            eb.or([runOver, eb('collect_link_throttle.failures', '<', L.guessFailures)]),
          ]),
        ),
    )
    .returning('failures')
    .executeTakeFirst();
  if (!row) return false;
  if (row.failures >= L.guessFailures) {
    await db.updateTable('collect_link_throttle').set({ blocked_until: iso(now, L.guessBlockMs) }).where('ip', '=', ip).execute();
  }
  return true;
}

/** A lookup that found a live link was no guess: its slot goes back. */
export async function releaseLinkLookup(db: Kysely<Database>, ip: string): Promise<void> {
  await db
    .updateTable('collect_link_throttle')
    .set({ failures: sql<number>`case when failures > 0 then failures - 1 else 0 end` })
    .where('ip', '=', ip)
    .where('blocked_until', 'is', null)
    .execute();
}
