import { loadConfig } from '../config.js';
import { buildDeps } from '../deps.js';
import { armFailpoints } from '../failpoints.js';
import type { Command } from '../lib/command.js';
import { disposeDueImages } from './kept-images.js';

/**
 * `kinko collect:expire-images` — what the server does every hour, on demand:
 * the identity images kept past the office's period are destroyed through
 * the disposal routine, with their records. Exit 1 when one could not be
 * verified gone (it stays due and is tried again).
 */
export const collectCommands: Record<string, Command> = {
  'collect:expire-images': {
    summary: '保管期間を過ぎた本人確認書類の画像を廃棄 / destroy identity images kept past the office’s period',
    run: async () => {
      const deps = await buildDeps(loadConfig(process.env), { migrate: true });
      // The crash tests kill this command at its failpoints as they kill the server (inert unless KINKO_FAILPOINTS is set).
      armFailpoints(deps.config.failpoints);
      try {
        const r = await disposeDueImages(deps);
        console.log(`kinko: 本人確認書類の画像 ${r.disposed} 件を廃棄しました${r.failed ? `（未完了 ${r.failed} 件）` : ''} / identity image sets destroyed: ${r.disposed}${r.failed ? `, not yet: ${r.failed}` : ''}`);
        return r.failed ? 1 : 0;
      } finally {
        await deps.close();
      }
    },
  },
};
