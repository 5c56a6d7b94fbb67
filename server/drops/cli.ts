import type { Command } from '../lib/command.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/connection.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { buildStorage } from '../../storage-adapters/index.js';
import { ORPHAN_AGE_MS, sweepInterruptedPuts, sweepOrphanDrops } from './reconcile.js';

/** Commands of the drops domain (merged into the `kinko` command by server/cli.ts). */
export const dropsCommands: Record<string, Command> = {
  'drops:sweep': {
    summary: '受付記録のない古い受信オブジェクトと中断されたアップロードの一時ファイルを削除 / remove stored drops without a drop record and temp files of interrupted uploads (crash leftovers)',
    run: async () => {
      const config = loadConfig(process.env);
      const signing = loadOrCreateSecret(config.secretsDir, 'signing', config.secret);
      const storage = await buildStorage(config, { signingSecret: signing.toString('base64') });
      const database = await openDatabase(config.database);
      try {
        const r = await sweepOrphanDrops(database.db, storage.drops, { now: new Date(), olderThanMs: ORPHAN_AGE_MS });
        console.log(`kinko: ${r.checked} 件を確認し、${r.removed} 件を削除しました / checked ${r.checked}, removed ${r.removed}`);
        const t = await sweepInterruptedPuts([storage.drops, storage.vault], { now: new Date() });
        console.log(`kinko: 一時ファイル ${t.checked} 件を確認し、${t.removed} 件を削除しました / temp files: checked ${t.checked}, removed ${t.removed}`);
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};
