import type { i18n } from 'i18next';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import { openDatabase } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';
import { createI18n } from './i18n/i18n.js';
import type { Database } from './db/schema.js';
import { loadOrCreateSecret } from './lib/secrets.js';
import { createLogger, type Logger } from './log/logger.js';
import { buildMailer, type Mailer } from './mail/mailer.js';
import { buildStorage } from '../storage-adapters/index.js';
import type { StorageAdapter } from '../storage-adapters/types.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/**
 * Everything the app needs, built in one place and handed to createApp.
 * Tests build the same thing from a literal config (and may swap the clock).
 */
export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: { db: Kysely<Database>; dialect: 'sqlite' | 'postgres'; ping(): Promise<void>; close(): Promise<void> };
  db: Kysely<Database>;
  storage: { drops: StorageAdapter; vault: StorageAdapter; bundles: StorageAdapter };
  secrets: { signing: Buffer; audit: Buffer };
  /** SMTP when configured, otherwise the data folder's outbox (server/mail/mailer.ts). */
  mailer: Mailer;
  /** Every locale, loaded once: pages (by the request's language), e-mails and console messages (both languages). */
  i18n: i18n;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  clock?: Clock;
  /** Run pending migrations while building (the embedded default does). */
  migrate?: boolean;
  /** SQLite: checkpoint the log on a thread of its own (the server does; short-lived commands need not). */
  backgroundCheckpoints?: boolean;
}

export async function buildDeps(config: Config, opts: BuildOptions = {}): Promise<Deps> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const secrets = {
    signing: loadOrCreateSecret(config.secretsDir, 'signing', config.secret),
    audit: loadOrCreateSecret(config.secretsDir, 'audit', config.auditKey),
  };
  const database = await openDatabase(config.database, { backgroundCheckpoints: opts.backgroundCheckpoints });
  try {
    if (opts.migrate !== false) await migrateToLatest(database.db);
    const storage = await buildStorage(config, { signingSecret: secrets.signing.toString('base64') });
    const mailer = buildMailer(config.mail, logger);
    const i18n = await createI18n();
    return {
      config,
      logger,
      clock: opts.clock ?? systemClock,
      database,
      db: database.db,
      storage,
      secrets,
      mailer,
      i18n,
      close: async () => {
        await mailer.close().catch(() => {});
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
