import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { directorExists } from '../auth/repo.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/connection.js';
import { schemaStatus } from '../db/migrate.js';
import { loadOrCreateSecret } from '../lib/secrets.js';
import { noticeRecipientCount } from '../notify/recipients.js';
import { buildStorage } from '../../storage-adapters/index.js';

export interface DoctorLine {
  ok: boolean;
  what: string;
  detail: string;
  fix?: string;
}

/**
 * Checks every part kinko depends on and says, in plain words, what is wrong
 * and how to fix it. Never prints secrets (URLs are shown without passwords).
 */
export async function runDoctor(env: Record<string, string | undefined>): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    lines.push({ ok: true, what: '設定 configuration', detail: `data folder ${config.dataDir}; database ${config.database.kind}; storage ${config.storage.kind}; mail ${config.mail.kind}` });
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
    for (const p of problems) lines.push({ ok: false, what: '設定 configuration', detail: p, fix: 'Correct this environment variable (see the configuration table in README.md), or unset it to use the embedded default.' });
    return lines;
  }

  lines.push(await step('データベース database', async () => {
    const database = await openDatabase(config.database);
    try {
      await database.ping();
      const status = await schemaStatus(database.db);
      if (status.unknown.length) throw new Error(`the database was migrated by a newer kinko (${status.unknown.join(', ')}); run that version`);
      return status.pending.length ? `reachable; ${status.pending.length} migration(s) pending — run \`npx kinko migrate\`` : 'reachable; schema up to date';
    } finally {
      await database.close();
    }
  }, config.database.kind === 'postgres' ? 'Check KINKO_DATABASE_URL: host, port, user, password and database name; is PostgreSQL running and reachable from here?' : 'Check that the data folder exists and is writable by this user.'));

  let storage: Awaited<ReturnType<typeof buildStorage>> | undefined;
  try {
    storage = await buildStorage(config, { signingSecret: loadOrCreateSecret(config.secretsDir, 'signing', config.secret).toString('base64') });
  } catch (err) {
    lines.push({ ok: false, what: '保管場所 storage', detail: (err as Error).message, fix: 'Check the KINKO_S3_* settings or the data folder permissions.' });
  }
  if (storage) {
    const fix = config.storage.kind === 's3'
      ? 'Check KINKO_S3_ENDPOINT, the bucket names, the access keys and that the buckets exist.'
      : '保存先の空き容量と書き込み権限を確認してください / Check that the data folder is writable by this user and its disk has free space (at least ' +
        `${config.limits.storage.minFreeBytes / (1024 * 1024)} MiB).`;
    lines.push(await step('受信ファイル置き場 drops', async () => { await storage!.drops.check(); return 'usable'; }, fix));
    lines.push(await step('金庫 vault', async () => { await storage!.vault.check(); return 'usable'; }, fix));
  }

  lines.push(await step('メール mail', async () => {
    if (config.mail.kind === 'outbox') {
      fs.mkdirSync(config.mail.dir, { recursive: true });
      fs.accessSync(config.mail.dir, fs.constants.W_OK);
      return `no SMTP configured: notices are written to ${config.mail.dir} (set KINKO_SMTP_URL to send email)`;
    }
    const transport = nodemailer.createTransport(config.mail.url, { connectionTimeout: 5000, greetingTimeout: 5000 } as object);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
    return `SMTP server ${new URL(config.mail.url).host} accepted the connection`;
  }, 'Check KINKO_SMTP_URL (host, port, user, password) and that the SMTP server is reachable.'));

  lines.push(await noticeRecipientsLine(config));

  lines.push(await step('秘密鍵ファイル secrets', async () => {
    if (config.secret && config.auditKey) return 'taken from the environment';
    const st = fs.statSync(config.secretsDir);
    if ((st.mode & 0o077) !== 0) throw new Error(`${config.secretsDir} is readable by other users`);
    return `kept in ${config.secretsDir} (for several instances, set KINKO_SECRET and KINKO_AUDIT_KEY instead)`;
  }, `Run: chmod 700 ${config.secretsDir}`));
  return lines;
}

/**
 * Whether anyone would receive a notice e-mail. An office whose director never
 * gave an address receives nothing, while everything else looks healthy.
 */
async function noticeRecipientsLine(config: Config): Promise<DoctorLine> {
  const what = 'お知らせメールの宛先 notice recipients';
  try {
    const database = await openDatabase(config.database);
    try {
      const status = await schemaStatus(database.db);
      if (status.pending.length) return { ok: true, what, detail: 'not checked: the database has pending migrations' };
      if (!(await directorExists(database.db))) return { ok: true, what, detail: 'setup not done yet (setup asks for the director’s address)' };
      const count = await noticeRecipientCount(database.db);
      if (count > 0) return { ok: true, what, detail: `${count} address(es) receive notices (director and key holders)` };
      return {
        ok: false,
        what,
        detail: 'だれもお知らせメールを受け取りません / no active director or key holder has an email address: arrival notices and director alerts reach no one by mail',
        fix: 'Sign in as the director (or a key holder) and set an address at /office/settings/notices (お知らせメールの設定).',
      };
    } finally {
      await database.close();
    }
  } catch (err) {
    return { ok: true, what, detail: `not checked: ${(err as Error).message}` };
  }
}

async function step(what: string, fn: () => Promise<string>, fix: string): Promise<DoctorLine> {
  try {
    return { ok: true, what, detail: await fn() };
  } catch (err) {
    return { ok: false, what, detail: (err as Error).message, fix };
  }
}
