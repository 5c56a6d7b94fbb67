import { loadConfig } from '../config.js';
import { buildDeps } from '../deps.js';
import type { Command } from '../lib/command.js';
import { disposeDueBundles } from './delivery/service.js';

/**
 * `kinko bundles:expire` — what the server does every hour, on demand: every
 * sealed year-end bundle marked 提出済 or past its expiry is destroyed through
 * the disposal routine, with its record. Exit 1 when one could not be
 * verified gone (it stays due and is tried again).
 */
export const bundlesCommands: Record<string, Command> = {
  'bundles:expire': {
    summary: '期限切れ・提出済の源泉徴収票の送付ファイルを廃棄 / destroy sealed year-end bundles that expired or were marked submitted',
    run: async () => {
      const deps = await buildDeps(loadConfig(process.env), { migrate: true });
      try {
        const r = await disposeDueBundles(deps);
        console.log(`kinko: 送付ファイル ${r.disposed} 件を廃棄しました${r.failed ? `（未完了 ${r.failed} 件）` : ''} / bundles destroyed: ${r.disposed}${r.failed ? `, not yet: ${r.failed}` : ''}`);
        return r.failed ? 1 : 0;
      } finally {
        await deps.close();
      }
    },
  },
};
