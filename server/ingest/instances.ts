import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { ACTIVE_STATES, releaseJob } from './repo.js';
import { ingestRuntime } from './runtime.js';

/**
 * The instances of a scaled deployment as ingest needs them (migration 0016).
 *
 * An ingest preview lives in the memory of the instance that parsed the file
 * (P1, P3); its job row names that instance. Each instance refreshes its own
 * row every HEARTBEAT_MS. One that has not for DEAD_AFTER_MS — killed, crashed,
 * cut off from the database — or that shut down cleanly is dead: its previews
 * are gone with its memory, so every other instance releases the claims it
 * held at once (the drops are intact and can be ingested again) instead of
 * waiting the preview's 15 minutes, and a request for such a preview is
 * answered by asking for the passphrase again (handover.ts).
 *
 * A dead instance that was only cut off and comes back finds its jobs moved on:
 * every later step of its attempt is conditional on the attempt and state
 * (repo.moveJob, markCommitted), so it can change nothing.
 */
export const HEARTBEAT_MS = 2_000;
export const DEAD_AFTER_MS = 10_000;
/** Rows of instances stopped this long ago are deleted. */
const FORGET_AFTER_MS = 7 * 24 * 3600_000;

type Db = Kysely<Database>;

export interface InstanceRow {
  id: string;
  url: string | null;
  seenAt: string;
  stoppedAt: string | null;
}

export async function findInstance(db: Db, id: string): Promise<InstanceRow | null> {
  const r = await db.selectFrom('kinko_instances').select(['id', 'url', 'seen_at', 'stopped_at']).where('id', '=', id).executeTakeFirst();
  return r ? { id: r.id, url: r.url, seenAt: r.seen_at, stoppedAt: r.stopped_at } : null;
}

/** Alive: refreshed within DEAD_AFTER_MS and not stopped. An instance without a row (tests, a one-off command) is not known to be dead. */
export function isAlive(row: InstanceRow, now: Date): boolean {
  return !row.stoppedAt && Date.parse(row.seenAt) > now.getTime() - DEAD_AFTER_MS;
}

/** The heartbeat: inserts this instance's row on the first call, refreshes it after. */
export async function beat(db: Db, row: { id: string; url: string | null; startedAt: string; now: string }): Promise<void> {
  await db
    .insertInto('kinko_instances')
    .values({ id: row.id, url: row.url, started_at: row.startedAt, seen_at: row.now, stopped_at: null })
    .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: row.now, url: row.url }))
    .execute();
}

/**
 * Releases the active ingest jobs held by dead instances; how many. Each
 * release is conditional on the attempt and state that were found, so any
 * number of instances may do this at the same moment.
 */
export async function releaseJobsOfDeadInstances(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - DEAD_AFTER_MS).toISOString();
  const jobs = await db
    .selectFrom('ingest_jobs as j')
    .innerJoin('kinko_instances as i', 'i.id', 'j.instance_id')
    .select(['j.id', 'j.attempt', 'j.state'])
    .where('j.state', 'in', [...ACTIVE_STATES])
    .where((eb) => eb.or([eb('i.stopped_at', 'is not', null), eb('i.seen_at', '<', cutoff)]))
    .execute();
  let released = 0;
  for (const j of jobs) {
    if (await releaseJob(db, { id: j.id, attempt: Number(j.attempt), state: j.state }, now.toISOString(), 'ingestFlow.errors.instanceGone')) released++;
  }
  return released;
}

/**
 * Started by serve(): the heartbeat and, on each beat, the release of dead
 * instances' claims. The returned stop marks this instance stopped, so the
 * others release what it held at their next beat rather than after DEAD_AFTER_MS.
 */
export function startInstanceHeartbeat(deps: Deps): () => Promise<void> {
  const rt = ingestRuntime(deps);
  const url = deps.config.instanceUrl ?? null;
  const startedAt = deps.clock.now().toISOString();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async () => {
    const now = deps.clock.now();
    try {
      await beat(deps.db, { id: rt.instanceId, url, startedAt, now: now.toISOString() });
      const released = await releaseJobsOfDeadInstances(deps.db, now);
      if (released) deps.logger.info({ released }, 'ingest claims of a stopped instance released; their drops are intact');
      await deps.db.deleteFrom('kinko_instances').where('seen_at', '<', new Date(now.getTime() - FORGET_AFTER_MS).toISOString()).execute();
    } catch (err) {
      deps.logger.warn({ err: (err as Error).name }, 'instance heartbeat failed; retrying');
    }
  };
  const loop = () => {
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, HEARTBEAT_MS).unref();
    });
  };
  loop();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
    const now = deps.clock.now().toISOString();
    await deps.db.updateTable('kinko_instances').set({ stopped_at: now, seen_at: now }).where('id', '=', rt.instanceId).execute();
  };
}
