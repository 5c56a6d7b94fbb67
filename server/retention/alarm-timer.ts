import type { Deps } from '../deps.js';
import { startRepeatingTask } from '../lib/repeating-task.js';
import { runRetentionCheck } from './alarms.js';

/**
 * Runs the day's disposal check (alarms.ts) from the server: once shortly
 * after start, then every hour. The day is claimed in the database, so the
 * hourly ticks, a restart and several instances send one digest a day.
 * Returns a stop function for shutdown.
 */
export function startRetentionAlarms(deps: Pick<Deps, 'db' | 'clock' | 'secrets' | 'mailer' | 'logger' | 'config'>): () => Promise<void> {
  return startRepeatingTask({
    everyMs: 60 * 60_000,
    firstAfterMs: 5_000,
    limitMs: 10 * 60_000,
    run: async () => {
      const r = await runRetentionCheck(deps, deps.config.retentionAlarmDays);
      if (r.kind === 'raised') deps.logger.info({ day: r.day, companies: r.companies, mail: r.mail }, 'retention: disposals due, directors alerted');
    },
    onError: (err) => deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'retention: the daily disposal check failed'),
  });
}
