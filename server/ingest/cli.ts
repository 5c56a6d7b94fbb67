import type { Command } from '../lib/command.js';
import { loadConfig } from '../config.js';
import { buildDeps } from '../deps.js';
import { defaultReconcileOptions, reconcileIngest } from './reconcile.js';

/**
 * `npx kinko ingest:reconcile` — the start-up recovery of ingest, on demand
 * (after a crash on a scaled deployment, or from cron). Safe while kinko is
 * running: it only releases jobs quiet for longer than the preview TTL and
 * deletes vault objects no row references that are older than a few minutes.
 * `--stale-seconds=N` / `--orphan-age-seconds=N` shorten those waits when the
 * operator knows no ingest is running.
 */
function seconds(args: string[], name: string): number | undefined {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  if (!a) return undefined;
  const n = Number(a.slice(name.length + 3));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} expects a number of seconds, got "${a.slice(name.length + 3)}"`);
  return n * 1000;
}

export const ingestCommands: Record<string, Command> = {
  'ingest:reconcile': {
    summary: '中断した取り込みの後始末（解放・原本の廃棄・孤立した記録の削除） / recover interrupted ingests',
    run: async (args) => {
      const staleMs = seconds(args, 'stale-seconds');
      const orphanAgeMs = seconds(args, 'orphan-age-seconds');
      const deps = await buildDeps(loadConfig(process.env), { migrate: true });
      try {
        const r = await reconcileIngest(deps, defaultReconcileOptions(deps, { staleMs, orphanAgeMs }));
        console.log(
          `kinko: 取り込みの後始末 / ingest recovery — released ${r.released}, originals destroyed ${r.destroyed}` +
            `${r.destroyFailed ? ` (not yet: ${r.destroyFailed})` : ''}, orphan vault records deleted ${r.orphansDeleted}`,
        );
        return r.destroyFailed ? 1 : 0;
      } finally {
        await deps.close();
      }
    },
  },
};
