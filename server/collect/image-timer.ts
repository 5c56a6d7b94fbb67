import type { Deps } from '../deps.js';
import { startRepeatingTask } from '../lib/repeating-task.js';
import { disposeDueImages } from './kept-images.js';

/**
 * Destroys the identity images whose kept time is up (and any a killed
 * confirmation left half-stored) shortly after start and then every hour, as
 * the bundles' expiry does. Each disposal is claimed by the row's state change
 * inside its record's transaction, so several instances or a restart never
 * record one twice. Returns a stop function for shutdown.
 */
export function startKeptImageExpiry(deps: Deps): () => Promise<void> {
  return startRepeatingTask({
    everyMs: 60 * 60_000,
    firstAfterMs: 10_000,
    limitMs: 15 * 60_000,
    run: async () => {
      const r = await disposeDueImages(deps);
      if (r.disposed || r.failed) deps.logger.info(r, 'collect: kept identity images destroyed at the end of their period');
    },
    onError: (err) => deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'collect: the kept identity images run failed'),
  });
}
