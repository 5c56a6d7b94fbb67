import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../lib/command.js';
import { loadConfig } from '../config.js';
import { openDatabase, type OpenDatabase } from '../db/connection.js';
import { createI18n } from '../i18n/i18n.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { loadOrCreateServerKey } from '../lib/server-key.js';
import { checkpointText, makeCheckpoint, readCheckpoint } from './checkpoint.js';
import { furthestCheckpoint } from './checkpoint-store.js';
import { jstFileStamp } from './filter.js';
import { appendAudit } from './service.js';
import { verifyAudit } from './verify.js';

/** Thrown for a bad command line; main() prints the message in one line. */
class UsageError extends Error {}

/** `--name VALUE` or `--name=VALUE`; anything else is refused rather than ignored. */
function option(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) {
      value = args[++i];
      if (!value) throw new UsageError(`--${name} にはファイル名が必要です / --${name} needs a file name`);
    } else if (a.startsWith(`--${name}=`)) {
      value = a.slice(name.length + 3);
    } else {
      throw new UsageError(`"${a}" は使えません / unknown option "${a}" (usage: --${name} FILE)`);
    }
  }
  return value;
}

async function withDatabase<T>(fn: (database: OpenDatabase, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const database = await openDatabase(config.database);
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Both languages at once: the director may read either, and logs stay searchable in English. */
async function texts() {
  const i18n = await createI18n();
  const ja = i18n.getFixedT('ja');
  const en = i18n.getFixedT('en');
  return (key: string, opts: Record<string, unknown> = {}) => `${ja(key, opts)} / ${en(key, opts)}`;
}

export const auditCommands: Record<string, Command> = {
  'audit:verify': {
    summary: '監査ログの改ざんを点検 [--checkpoint FILE] / check the audit trail for tampering',
    run: async (args) => {
      const file = option(args, 'checkpoint');
      const say = await texts();
      return withDatabase(async (database, config) => {
        const key = loadOrCreateSecret(config.secretsDir, 'audit', config.auditKey);
        let checkpoint: { seq: number; mac: string } | undefined;
        let from: string | undefined;
        if (!file) {
          // The server's scheduled checkpoints (outside the database): compare with the furthest.
          const found = furthestCheckpoint(config.auditCheckpoints.dir, loadOrCreateServerKey(config.secretsDir));
          if (found.ignored) console.log(`⚠ ${say('audit.tail.ignored', { count: found.ignored })}`);
          checkpoint = found.furthest?.checkpoint;
          from = found.furthest?.file;
        }
        if (file) {
          const text = readText(file);
          if (text === undefined) {
            console.log(`✗ ${file}: ファイルを開けません / cannot open the file`);
            return 1;
          }
          const read = readCheckpoint(text, loadOrCreateServerKey(config.secretsDir));
          if (!read.ok) {
            console.log(`✗ ${file}: ${say(`audit.checkpoint.${read.problem}`)}`);
            return 1;
          }
          checkpoint = read.checkpoint;
          from = file;
        }
        const result = await verifyAudit(database.db, key, { checkpoint });
        if (checkpoint) console.log(`  ${say('audit.tail.checkpoint', { file: from, seq: checkpoint.seq })}`);
        if (result.ok) {
          console.log(`✓ ${say('audit.verify.ok', { checked: result.checked })}`);
          if (checkpoint) console.log(`✓ ${say('audit.verify.checkpointOk', { seq: checkpoint.seq })}`);
          // Said, not hidden: without a checkpoint a cut-off tail cannot be seen (exit 0: nothing is known to be wrong).
          else console.log(`⚠ ${say('audit.tail.unprovable')}`);
          return 0;
        }
        const { seq, reason } = result.problem!;
        console.log(`✗ seq ${seq}: ${say(`audit.reason.${reason}`)}`);
        console.log(`  ${say('audit.verify.badHelp', { checked: result.checked })}`);
        if (seq === 1 && reason === 'mac-mismatch') {
          // The commonest cause of "everything is wrong": verifying with another key.
          console.log('  監査用の鍵 (KINKO_AUDIT_KEY または secrets/audit.key) が記録したときと同じか確認してください / check that the audit key (KINKO_AUDIT_KEY or secrets/audit.key) is the one the trail was written with');
        }
        return 1;
      });
    },
  },
  'audit:checkpoint': {
    summary: '監査ログの確認用ファイル (署名付き) を作成 [--out FILE] / write a signed checkpoint of the audit trail',
    run: async (args) => {
      const say = await texts();
      return withDatabase(async (database, config) => {
        const key = loadOrCreateSecret(config.secretsDir, 'audit', config.auditKey);
        const now = new Date();
        const out = option(args, 'out') ?? `kinko-audit-checkpoint-${jstFileStamp(now)}.json`;
        if (fs.existsSync(out)) throw new UsageError(`${out} はすでにあります / ${out} already exists`);
        // Signing the head of a chain that is already broken would vouch for the damage.
        const before = await verifyAudit(database.db, key);
        if (!before.ok) {
          const { seq, reason } = before.problem!;
          console.log(`✗ seq ${seq}: ${say(`audit.reason.${reason}`)}`);
          console.log('  確認用ファイルは作成しませんでした。先に audit:verify で確認してください / no checkpoint written; run audit:verify first');
          return 1;
        }
        const serverKey = loadOrCreateServerKey(config.secretsDir);
        // The checkpoint covers its own entry, so the trail shows when each checkpoint was taken.
        await database.db.transaction().execute((trx) =>
          appendAudit(trx, { key, now: () => now }, { action: 'audit.checkpoint', actorRole: 'cli', details: { fingerprint: serverKey.fingerprint } }),
        );
        const checkpoint = await makeCheckpoint(database.db, serverKey, now);
        fs.writeFileSync(out, checkpointText(checkpoint), { flag: 'wx' });
        console.log(`✓ ${path.resolve(out)} (seq ${checkpoint.seq})`);
        console.log('  このファイルはサーバーとは別の場所 (USBメモリ・別のパソコン・印刷) に保管してください。');
        console.log('  Keep this file somewhere other than the server (USB stick, another PC, on paper).');
        console.log(`  点検するとき / to check later: npx kinko audit:verify --checkpoint ${JSON.stringify(out)}`);
        console.log(`  署名の鍵 / signing key: ${serverKey.fingerprint}`);
        return 0;
      });
    },
  },
};
