import type { Deps } from '../deps.js';
import { loadOrCreateServerKey } from '../lib/server-key.js';
import { startRepeatingTask } from '../lib/repeating-task.js';
import { writeScheduledCheckpoint } from './checkpoint-store.js';

/**
 * Writes a signed checkpoint of the audit trail every
 * KINKO_AUDIT_CHECKPOINT_MINUTES into the checkpoint folder (checkpoint-store.ts),
 * so that a trail emptied or cut short in the database is caught by
 * `audit:verify` without anyone having remembered to take a checkpoint by hand.
 * The timer looks at least once a minute; a tick in an interval that already
 * has its file (this or another instance wrote it) costs one stat.
 * Returns a stop function for shutdown.
 */
export function startCheckpointTimer(deps: Pick<Deps, 'config' | 'db' | 'clock' | 'logger'>): () => Promise<void> {
  const { minutes, dir } = deps.config.auditCheckpoints;
  if (minutes === 0) return async () => {};
  const intervalMs = minutes * 60_000;
  const key = loadOrCreateServerKey(deps.config.secretsDir);
  return startRepeatingTask({
    everyMs: Math.min(intervalMs, 60_000),
    firstAfterMs: 1_000,
    // A tick that hangs (a stalled network folder, a locked database) must neither block the next ticks nor shutdown.
    limitMs: 30_000,
    run: async () => {
      const r = await writeScheduledCheckpoint(deps.db, key, { dir, now: deps.clock.now(), intervalMs });
      if (r.kind === 'written') deps.logger.info({ seq: r.seq, file: r.file }, 'audit checkpoint written');
      // Entries were removed from the database since the last checkpoint: say so loudly, sign nothing.
      if (r.kind === 'regressed') deps.logger.error({ seq: r.seq, checkpointSeq: r.furthest.checkpoint.seq, file: r.furthest.file }, 'audit trail is shorter than its last checkpoint; run kinko audit:verify');
    },
    onError: (err) => deps.logger.error({ err: { name: (err as Error).name, code: (err as NodeJS.ErrnoException).code, message: (err as Error).message } }, 'audit checkpoint could not be written'),
  });
}
