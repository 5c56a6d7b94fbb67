import type { Command } from '../cli.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/connection.js';
import { loadOrCreateSecret } from '../keys/secrets.js';
import { buildStorage } from '../../storage-adapters/index.js';
import { ORPHAN_AGE_MS, sweepOrphanDrops } from './reconcile.js';

/** Commands of the drops domain (merged into the `kinko` command by server/cli.ts). */
export const dropsCommands: Record<string, Command> = {
  'drops:sweep': {
    summary: '受付記録のない古い受信オブジェクトを削除 / remove stored drops that have no drop record (crash leftovers)',
    run: async () => {
      const config = loadConfig(process.env);
      const signing = loadOrCreateSecret(config.secretsDir, 'signing', config.secret);
      const storage = buildStorage(config, { signingSecret: signing.toString('base64') });
      const database = await openDatabase(config.database);
      try {
        const r = await sweepOrphanDrops(database.db, storage.drops, { now: new Date(), olderThanMs: ORPHAN_AGE_MS });
        console.log(`kinko: ${r.checked} 件を確認し、${r.removed} 件を削除しました / checked ${r.checked}, removed ${r.removed}`);
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};
