import type { Deps } from '../deps.js';
import { sweepOrphanRecords } from '../vault/index.js';
import { armFailpoints } from '../failpoints.js';
import { destroyOriginal } from './dispose.js';
import * as repo from './repo.js';
import { ingestRuntime, ORPHAN_MIN_AGE_MS, PREVIEW_TTL_MS } from './runtime.js';

/**
 * Recovery after a crash or an abandoned ingest (P9). Each step looks only at
 * durable state and is safe to run any number of times, from any instance:
 *
 *  1. Jobs stuck in claimed / previewing / committing — their preview lived in
 *     the memory of a process that is gone or has given up — are released:
 *     the drop is intact and can be ingested again.
 *  2. Jobs in `committed` had their vault and database commit durable, but the
 *     original was not (verifiably) destroyed yet: finish that.
 *  3. Vault objects no persons row references — records written by a commit
 *     that never reached its transaction — are deleted, once old enough that
 *     no running commit can still be about to reference them.
 */
export interface ReconcileOptions {
  /** Active jobs last touched before this are abandoned. */
  staleBefore: Date;
  /** Also abandoned: active jobs held by any process other than this one (single-process SQLite at start-up). */
  notInstance?: string;
  /** Only vault objects last modified before this can be orphans. */
  orphansBefore: Date;
}

export interface ReconcileReport {
  released: number;
  destroyed: number;
  destroyFailed: number;
  orphansDeleted: number;
}

export async function reconcileIngest(deps: Deps, opts: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { released: 0, destroyed: 0, destroyFailed: 0, orphansDeleted: 0 };
  const now = () => deps.clock.now().toISOString();

  for (const job of await repo.staleJobs(deps.db, opts.staleBefore.toISOString(), opts.notInstance)) {
    if (await repo.releaseJob(deps.db, job, now(), 'ingestFlow.errors.abandoned')) report.released++;
  }

  for (const job of await repo.committedJobs(deps.db)) {
    try {
      if (await destroyOriginal(deps, job.id, { userId: null, role: null })) report.destroyed++;
    } catch (err) {
      report.destroyFailed++;
      deps.logger.error({ jobId: job.id, dropId: job.dropId, err: (err as Error).name }, 'recovery could not destroy an original yet');
    }
  }

  // A commit running elsewhere writes its records after it moved to
  // `committing`: nothing older than its start can be one of its records.
  let cutoff = opts.orphansBefore.getTime();
  for (const j of await repo.activeCommits(deps.db)) cutoff = Math.min(cutoff, Date.parse(j.updatedAt));
  report.orphansDeleted = await sweepOrphanRecords(deps, { olderThanMs: Math.max(0, deps.clock.now().getTime() - cutoff) });
  return report;
}

/** The usual cut-offs: abandoned after the preview TTL, orphans after a few minutes. */
export function defaultReconcileOptions(deps: Deps, over: { staleMs?: number; orphanAgeMs?: number } = {}): ReconcileOptions {
  const now = deps.clock.now().getTime();
  return {
    staleBefore: new Date(now - (over.staleMs ?? PREVIEW_TTL_MS)),
    orphansBefore: new Date(now - (over.orphanAgeMs ?? ORPHAN_MIN_AGE_MS)),
  };
}

/**
 * Called by main.ts right after listen. Arms the failpoints of this process
 * (inert unless KINKO_FAILPOINTS is set), then recovers in the background.
 *
 * On SQLite kinko is one process: whatever another process held is dead, and
 * every vault object older than this start cannot belong to a commit of ours,
 * so recovery need not wait for the TTL. On PostgreSQL other instances may be
 * working: only the TTL and the orphan age tell.
 */
export function recoverOnStart(deps: Deps): Promise<ReconcileReport | null> {
  armFailpoints(deps.config.failpoints);
  const rt = ingestRuntime(deps);
  const opts: ReconcileOptions =
    deps.database.dialect === 'sqlite'
      ? { ...defaultReconcileOptions(deps), notInstance: rt.instanceId, orphansBefore: rt.startedAt }
      : defaultReconcileOptions(deps);
  const run = reconcileIngest(deps, opts).then((report) => {
    deps.logger.info({ ...report }, 'ingest recovery finished');
    return report;
  }, (err: unknown) => {
    deps.logger.error({ err: (err as Error).name }, 'ingest recovery failed; run `npx kinko ingest:reconcile`');
    return null;
  });
  // The preview cache's expired entries go on their own timer; nothing else runs periodically here.
  return run;
}
