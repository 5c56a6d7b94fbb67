import type { Deps } from '../../deps.js';
import { startRepeatingTask } from '../../lib/repeating-task.js';
import { disposeDueBundles } from './service.js';

/**
 * Destroys the bundles that are due (marked 提出済, or past their expiry)
 * shortly after start and then every hour. Each disposal is claimed by the
 * row's state change inside its record's transaction, so several instances
 * or a restart never record one twice. Returns a stop function for shutdown.
 */
export function startBundleExpiry(deps: Deps): () => Promise<void> {
  return startRepeatingTask({
    everyMs: 60 * 60_000,
    firstAfterMs: 10_000,
    limitMs: 15 * 60_000,
    run: async () => {
      const r = await disposeDueBundles(deps);
      if (r.disposed || r.failed) deps.logger.info(r, 'bundles: expired or submitted bundles destroyed');
    },
    onError: (err) => deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'bundles: the expiry run failed'),
  });
}
