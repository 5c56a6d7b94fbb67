import path from 'node:path';
import { z } from 'zod';
import type { StorageSettings } from '../storage-adapters/index.js';
import { limits, parseMaxConcurrent, type Limits } from './limits.js';

/** The limits (server/limits.ts) travel with the configuration: `config.limits`, and imported from here as before. */
export { limits, type Limits } from './limits.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[], expects: string) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, expects);

const secret = z
  .string()
  .regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'a random secret of at least 32 bytes, base64 (e.g. `openssl rand -base64 32`)')
  .optional();

/** The environment kinko reads. Everything is optional: no settings = embedded mode. */
const envSchema = z.object({
  KINKO_DATA_DIR: z.string().min(1, 'a folder path').default('./data'),
  KINKO_HOST: z.string().min(1, 'an interface address such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
  PORT: z.coerce.number({ error: 'a port number' }).int('a whole port number').min(1).max(65535).optional(),
  KINKO_PORT: z.coerce.number({ error: 'a port number' }).int('a whole port number').min(1).max(65535).optional(),
  KINKO_PUBLIC_URL: url(['http:', 'https:'], 'an http(s) URL such as https://kinko.example.jp').optional(),
  KINKO_TRUST_PROXY: bool.default(false),
  KINKO_INSTANCE_URL: url(['http:', 'https:'], 'the http URL other instances reach this one at, such as http://kinko-1:3000').optional(),
  KINKO_DATABASE_URL: url(['postgres:', 'postgresql:', 'sqlite:'], 'postgres://user:pass@host:5432/db or sqlite:/path/to/file').optional(),
  KINKO_STORAGE: z.enum(['local', 's3'], { error: '"local" or "s3"' }).default('local'),
  KINKO_S3_ENDPOINT: url(['http:', 'https:'], 'an http(s) URL of the S3 endpoint (MinIO: http://minio:9000)').optional(),
  KINKO_S3_REGION: z.string().min(1).default('ap-northeast-1'),
  KINKO_S3_DROPS_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  KINKO_S3_VAULT_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  KINKO_S3_BUNDLES_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  KINKO_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  KINKO_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  KINKO_S3_FORCE_PATH_STYLE: bool.default(false),
  KINKO_SMTP_URL: url(['smtp:', 'smtps:'], 'smtp://user:pass@host:587 or smtps://host:465').optional(),
  KINKO_MAIL_FROM: z.string().email('an email address').default('kinko@localhost'),
  KINKO_VAULT_BATCH: z.coerce.number({ error: 'a whole number from 1 to 100000' }).int('a whole number from 1 to 100000').min(1).max(100_000).optional(),
  KINKO_NOTIFY_BATCH_SECONDS: z.coerce.number({ error: 'a number of seconds' }).int('a whole number of seconds').min(0).max(86_400).default(300),
  KINKO_RETENTION_ALARM_DAYS: z.coerce.number({ error: 'a number of days' }).int('a whole number of days').min(1).max(365).default(30),
  KINKO_SECRET: secret,
  KINKO_AUDIT_KEY: secret,
  KINKO_AUDIT_CHECKPOINT_MINUTES: z.coerce.number({ error: 'a number of minutes (0 = off)' }).int('a whole number of minutes').min(0).max(10_080).default(60),
  KINKO_AUDIT_CHECKPOINT_DIR: z.string().min(1, 'a folder path').optional(),
  KINKO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KINKO_FAILPOINTS: z.string().optional(),
  KINKO_PARSE_MAX_CONCURRENT: parseMaxConcurrent.optional(),
  KINKO_UPLOAD_ENCRYPT: z.enum(['thread', 'inline', 'openpgpjs'], { error: '"thread", "inline" or "openpgpjs"' }).default('thread'),
});

export type Config = Readonly<{
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string;
  trustProxy: boolean;
  /** Scaled deployment: where the other instances reach this one (an ingest preview held here is forwarded to it); env KINKO_INSTANCE_URL. */
  instanceUrl?: string;
  database: Readonly<{ kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }>;
  storage: StorageSettings;
  mail: Readonly<{ kind: 'smtp'; url: string; from: string } | { kind: 'outbox'; dir: string; from: string }>;
  /** Arrivals in one room within this many seconds of the first are told in one e-mail. */
  notifyBatchSeconds: number;
  /** 廃棄アラーム: disposals due within this many days are announced; due for longer than this is overdue. */
  retentionAlarmDays: number;
  /**
   * Vault records an ingest writes per storage createMany (one durable sync
   * each); env KINKO_VAULT_BATCH. Unset: the vault's own choice
   * (server/vault/custody.ts: all at once in the embedded vault, 10,000 on S3).
   */
  vaultBatch?: number;
  /** Signing secret for download URLs and cookies; from env or a file kinko creates under the data folder. */
  secret?: string;
  /** MAC key of the audit chain; kept outside the database (P6). */
  auditKey?: string;
  /** Signed audit checkpoints the server writes on a schedule, outside the database (P6); minutes 0 = off. */
  auditCheckpoints: Readonly<{ minutes: number; dir: string }>;
  secretsDir: string;
  logLevel: string;
  failpoints: readonly string[];
  /** How plain uploads are encrypted on arrival (server/drops/encrypt-stream.ts EncryptMode); env KINKO_UPLOAD_ENCRYPT, for benches and diagnosis. */
  uploadEncrypt: 'thread' | 'inline' | 'openpgpjs';
  limits: Limits;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once, validates it and returns a frozen config.
 * A wrong or missing setting throws ConfigError naming the variable and what it
 * expects, so start-up stops with one clear line instead of failing later.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(clean);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0])}: expected ${i.message}, got ${JSON.stringify(clean[String(i.path[0])] ?? '(unset)')}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const dataDir = path.resolve(e.KINKO_DATA_DIR);
  const port = e.KINKO_PORT ?? e.PORT ?? 3000;

  let database: Config['database'] = { kind: 'sqlite', file: path.join(dataDir, 'kinko.sqlite') };
  if (e.KINKO_DATABASE_URL) {
    const u = new URL(e.KINKO_DATABASE_URL);
    if (u.protocol === 'sqlite:') {
      const file = decodeURIComponent(e.KINKO_DATABASE_URL.slice('sqlite:'.length).replace(/^\/\//, ''));
      if (!file) problems.push('KINKO_DATABASE_URL: expected sqlite:/path/to/file, got an empty path');
      database = { kind: 'sqlite', file: path.resolve(file || '.') };
    } else {
      if (!u.hostname) problems.push('KINKO_DATABASE_URL: expected a host name in postgres://user:pass@host:5432/db');
      database = { kind: 'postgres', url: e.KINKO_DATABASE_URL };
    }
  }

  let storage: Config['storage'] = {
    kind: 'local',
    dropsDir: path.join(dataDir, 'drops'),
    vaultDir: path.join(dataDir, 'vault'),
    bundlesDir: path.join(dataDir, 'bundles'),
  };
  if (e.KINKO_STORAGE === 's3') {
    if (!e.KINKO_S3_DROPS_BUCKET) problems.push('KINKO_S3_DROPS_BUCKET: expected the bucket for incoming drops (required when KINKO_STORAGE=s3)');
    if (!e.KINKO_S3_VAULT_BUCKET) problems.push('KINKO_S3_VAULT_BUCKET: expected the bucket for vault records (required when KINKO_STORAGE=s3)');
    if (e.KINKO_S3_DROPS_BUCKET && e.KINKO_S3_DROPS_BUCKET === e.KINKO_S3_VAULT_BUCKET)
      problems.push('KINKO_S3_VAULT_BUCKET: expected a bucket separate from KINKO_S3_DROPS_BUCKET (the vault must stand alone, P2)');
    if (!e.KINKO_S3_BUNDLES_BUCKET) problems.push('KINKO_S3_BUNDLES_BUCKET: expected the bucket for sealed year-end bundles (required when KINKO_STORAGE=s3)');
    if (e.KINKO_S3_BUNDLES_BUCKET && (e.KINKO_S3_BUNDLES_BUCKET === e.KINKO_S3_DROPS_BUCKET || e.KINKO_S3_BUNDLES_BUCKET === e.KINKO_S3_VAULT_BUCKET))
      problems.push('KINKO_S3_BUNDLES_BUCKET: expected a bucket separate from the drops and vault buckets');
    if (!!e.KINKO_S3_ACCESS_KEY_ID !== !!e.KINKO_S3_SECRET_ACCESS_KEY)
      problems.push('KINKO_S3_SECRET_ACCESS_KEY: expected both KINKO_S3_ACCESS_KEY_ID and KINKO_S3_SECRET_ACCESS_KEY, or neither');
    storage = {
      kind: 's3',
      endpoint: e.KINKO_S3_ENDPOINT,
      region: e.KINKO_S3_REGION,
      dropsBucket: e.KINKO_S3_DROPS_BUCKET ?? '',
      vaultBucket: e.KINKO_S3_VAULT_BUCKET ?? '',
      bundlesBucket: e.KINKO_S3_BUNDLES_BUCKET ?? '',
      accessKeyId: e.KINKO_S3_ACCESS_KEY_ID,
      secretAccessKey: e.KINKO_S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.KINKO_S3_FORCE_PATH_STYLE,
    };
  }
  if (problems.length) throw new ConfigError(problems);

  const mail: Config['mail'] = e.KINKO_SMTP_URL
    ? { kind: 'smtp', url: e.KINKO_SMTP_URL, from: e.KINKO_MAIL_FROM }
    : { kind: 'outbox', dir: path.join(dataDir, 'outbox'), from: e.KINKO_MAIL_FROM };

  return deepFreeze({
    dataDir,
    host: e.KINKO_HOST,
    port,
    publicUrl: (e.KINKO_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    trustProxy: e.KINKO_TRUST_PROXY,
    instanceUrl: e.KINKO_INSTANCE_URL?.replace(/\/+$/, ''),
    database,
    storage,
    mail,
    notifyBatchSeconds: e.KINKO_NOTIFY_BATCH_SECONDS,
    retentionAlarmDays: e.KINKO_RETENTION_ALARM_DAYS,
    vaultBatch: e.KINKO_VAULT_BATCH,
    secret: e.KINKO_SECRET,
    auditKey: e.KINKO_AUDIT_KEY,
    auditCheckpoints: {
      minutes: e.KINKO_AUDIT_CHECKPOINT_MINUTES,
      dir: path.resolve(e.KINKO_AUDIT_CHECKPOINT_DIR ?? path.join(dataDir, 'audit-checkpoints')),
    },
    secretsDir: path.join(dataDir, 'secrets'),
    logLevel: e.KINKO_LOG_LEVEL,
    failpoints: (e.KINKO_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    uploadEncrypt: e.KINKO_UPLOAD_ENCRYPT,
    limits,
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
