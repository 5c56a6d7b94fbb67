import type { Deps } from '../deps.js';
import { runRetentionCheck } from './alarms.js';

/**
 * Runs the day's disposal check (alarms.ts) from the server: once shortly
 * after start, then every hour. The day is claimed in the database, so the
 * hourly ticks, a restart and several instances send one digest a day.
 * Returns a stop function for shutdown.
 */
export function startRetentionAlarms(deps: Pick<Deps, 'db' | 'clock' | 'secrets' | 'mailer' | 'logger' | 'config'>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = runRetentionCheck(deps, deps.config.retentionAlarmDays)
      .then((r) => {
        if (r.kind === 'raised') deps.logger.info({ day: r.day, companies: r.companies, mail: r.mail }, 'retention: disposals due, directors alerted');
      })
      .catch((err: unknown) => deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'retention: the daily disposal check failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, 60 * 60_000);
  timer.unref();
  const first = setTimeout(tick, 5_000);
  first.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}
