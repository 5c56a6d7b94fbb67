import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';
import type { Command } from './lib/command.js';
import { loadOrCreateSecret } from './lib/secrets.js';
import { runDoctor } from './ops/doctor.js';
import { auditCommands } from './audit/cli.js';
import { setupCommands } from './setup/cli.js';
import { ingestCommands } from './ingest/cli.js';
import { dropsCommands } from './drops/cli.js';
import { retentionCommands } from './retention/cli.js';
import { bundlesCommands } from './bundles/cli.js';
import { collectCommands } from './collect/cli.js';


const core: Record<string, Command> = {
  help: { summary: 'この一覧を表示 / show this list', run: async () => (printHelp(), 0) },
  serve: {
    summary: 'kinko を起動 (npm start と同じ) / start kinko (same as npm start)',
    run: async () => {
      const { serve } = await import('./main.js');
      await serve(process.env);
      return -1;
    },
  },
  init: {
    summary: 'データフォルダ・秘密鍵ファイル・データベースを用意 / prepare the data folder, secrets and database',
    run: async () => {
      const config = loadConfig(process.env);
      loadOrCreateSecret(config.secretsDir, 'signing', config.secret);
      loadOrCreateSecret(config.secretsDir, 'audit', config.auditKey);
      const database = await openDatabase(config.database);
      try {
        const applied = await migrateToLatest(database.db);
        console.log(`kinko: 準備ができました / ready. data folder: ${config.dataDir}; migrations applied: ${applied.length}`);
      } finally {
        await database.close();
      }
      return 0;
    },
  },
  migrate: {
    summary: 'データベースを最新の形に更新 / apply pending database migrations',
    run: async () => {
      const config = loadConfig(process.env);
      const database = await openDatabase(config.database);
      try {
        const applied = await migrateToLatest(database.db);
        console.log(applied.length ? `kinko: applied ${applied.join(', ')}` : 'kinko: データベースは最新です / database is up to date');
      } finally {
        await database.close();
      }
      return 0;
    },
  },
  doctor: {
    summary: '設定・データベース・保管場所・メールを点検 / check configuration, database, storage and mail',
    run: async () => {
      const lines = await runDoctor(process.env);
      for (const l of lines) {
        console.log(`${l.ok ? '✓' : '✗'} ${l.what}: ${l.detail}`);
        if (!l.ok && l.fix) console.log(`    → ${l.fix}`);
      }
      const bad = lines.filter((l) => !l.ok).length;
      console.log(bad ? `\n${bad} 件の問題があります / ${bad} problem(s) found.` : '\n問題はありません / all good.');
      return bad ? 1 : 0;
    },
  },
};

const commands: Record<string, Command> = { ...core, ...setupCommands, ...auditCommands, ...dropsCommands, ...ingestCommands, ...retentionCommands, ...bundlesCommands, ...collectCommands };

function printHelp(): void {
  console.log('使い方 / usage: npx kinko <command>\n');
  for (const [name, c] of Object.entries(commands)) console.log(`  ${name.padEnd(18)} ${c.summary}`);
  console.log('\n設定は環境変数で行います (README.md)。 / Settings come from environment variables (README.md).');
}

/** Runs one CLI command; failures print one plain line (no stack trace) and exit non-zero. */
export async function main(argv: string[]): Promise<void> {
  const [name = 'help', ...args] = argv;
  const command = commands[name];
  if (!command) {
    console.error(`kinko: "${name}" というコマンドはありません / unknown command "${name}". Try: npx kinko help`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await command.run(args);
    if (code >= 0) process.exitCode = code;
  } catch (err) {
    process.exitCode = 1;
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(`kinko: 設定が正しくありません / bad setting — ${p}`);
    } else {
      console.error(`kinko: ${(err as Error).message}`);
    }
    console.error('  詳しくは / details: npx kinko doctor');
  }
}
