/**
 * Opens the office database described by `Config['database']`: an embedded
 * SQLite file (better-sqlite3) or a PostgreSQL server (pg Pool), both behind
 * the same `Kysely<Database>`. Nothing happens at import time; the caller
 * (main.ts, cli.ts, a test) opens it and owns closing it.
 *
 * A database that cannot be reached fails here, at start-up, as a
 * DatabaseUnavailableError with one plain line that names the file or host and
 * what to check, instead of a stack trace on the first request.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DialectAdapter, type Driver } from 'kysely';
import type { Config } from '../config.js';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from './checkpoints.js';
import { ReadWriteSqliteDriver } from './sqlite-driver.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Releases the file or the pool. Safe to call more than once. */
  close(): Promise<void>;
  /** One round trip; rejects with DatabaseUnavailableError (for `kinko doctor`, health checks). */
  ping(): Promise<void>;
  /** SQLite opened with backgroundCheckpoints: its checkpoint thread. */
  checkpoints?: BackgroundCheckpoints;
}

export interface OpenOptions {
  /** PostgreSQL pool size per app instance. */
  poolSize?: number;
  /** How long a new PostgreSQL connection may take, including DNS and TLS. */
  connectTimeoutMs?: number;
  /** Errors of idle pooled connections (e.g. the server restarted); for logging. */
  onPoolError?: (err: Error) => void;
  /** SQLite: checkpoint the log on a thread of its own, not in the COMMITs (checkpoints.ts); the server turns this on. */
  backgroundCheckpoints?: boolean;
}

/** The database cannot be opened or reached. The message is safe to show and log (no password). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export async function openDatabase(config: Config['database'], opts: OpenOptions = {}): Promise<OpenDatabase> {
  return config.kind === 'sqlite' ? openSqlite(config.file, opts) : openPostgres(config.url, opts);
}

function openSqlite(file: string, opts: OpenOptions): OpenDatabase {
  let raw: SqliteDatabase.Database | undefined;
  let reader: SqliteDatabase.Database | undefined;
  try {
    // Owner-only folder and file: the database holds client names, wrapped
    // keys and session tokens; other local users must not read a copy.
    // SQLite gives the -wal and -shm files the main file's permissions.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    raw = new SqliteDatabase(file);
    applySqlitePragmas(raw, file);
    // The second, read-only connection (sqlite-driver.ts): reads outside a
    // transaction run here, beside a long commit, instead of waiting for it.
    reader = new SqliteDatabase(file, { readonly: true });
    applyReaderPragmas(reader);
  } catch (err) {
    reader?.close();
    raw?.close();
    if (err instanceof DatabaseUnavailableError) throw err;
    throw sqliteUnavailable(file, err);
  }
  const driver = new ReadWriteSqliteDriver(raw, reader);
  const db = new Kysely<Database>({ dialect: new AtomicMigrationsSqliteDialect({ database: raw }, driver) });
  const checkpoints = opts.backgroundCheckpoints ? startBackgroundCheckpoints(raw, file) : undefined;
  return wrap(db, 'sqlite', (err) => sqliteUnavailable(file, err), checkpoints);
}

/**
 * SQLite does run DDL inside transactions, but Kysely's adapter says it does
 * not (so that migrations may toggle PRAGMA foreign_keys), and its Migrator
 * would then run SQLite migrations without one: a migration failing halfway
 * would leave half a schema behind. Declaring it makes every migration batch
 * all-or-nothing on SQLite as on PostgreSQL. A migration that rebuilds a table
 * uses `PRAGMA defer_foreign_keys = ON`, which does work inside a transaction.
 */
class AtomicMigrationsSqliteDialect extends SqliteDialect {
  readonly #driver: Driver;

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], driver: Driver) {
    super(config);
    this.#driver = driver;
  }

  override createDriver(): Driver {
    return this.#driver;
  }

  override createAdapter(): DialectAdapter {
    return new (class extends SqliteAdapter {
      override get supportsTransactionalDdl(): boolean {
        return true;
      }
    })();
  }
}

/** Pragmas are per connection; these are the writer's (kinko has one writer connection and one reader). */
function applySqlitePragmas(raw: SqliteDatabase.Database, file: string): void {
  // Readers (page views, downloads) never wait for the writer and vice versa,
  // and a crash mid-write leaves the last committed state intact.
  const mode = raw.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new DatabaseUnavailableError(
      `SQLite database ${file} cannot use write-ahead logging (got journal_mode=${String(mode)}): put it on a local disk, not a network share`,
    );
  }
  // SQLite ignores foreign keys unless asked, per connection; PostgreSQL always
  // enforces them. Without this a SQLite install would accept orphan rows
  // (e.g. a drop of a deleted company) that the same code rejects on PostgreSQL.
  raw.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros instead of lingering in free pages,
  // where a copy of the file (backup, stolen disk) would still show disposed
  // records and old session tokens. WAL frames are zeroed once checkpointed.
  raw.pragma('secure_delete = ON');
  // A second process on the same file (a `kinko` CLI command while the server
  // runs, a backup) waits up to 5 s for the lock instead of failing at once
  // with SQLITE_BUSY.
  raw.pragma('busy_timeout = 5000');
  // In WAL mode NORMAL may lose the last commits on power loss. A receipt the
  // client already saw, or an audit record, must survive a power cut: fsync
  // the log at every commit.
  raw.pragma('synchronous = FULL');
  // 32 MiB of page cache instead of SQLite's 2 MiB: an ingest inserts ~25,000
  // persons rows into eight indexes in one transaction, and once the office
  // holds ~100,000 persons those index pages no longer fit the default. In
  // bench/ingest's five-round runs kinko's median ingest was ~0.19 s shorter.
  raw.pragma(`cache_size = -${32 * 1024}`);
}

/** The reader only reads: it waits for a lock like the writer, and keeps a page cache of its own. */
function applyReaderPragmas(reader: SqliteDatabase.Database): void {
  reader.pragma('busy_timeout = 5000');
  reader.pragma(`cache_size = -${16 * 1024}`);
}

function sqliteUnavailable(file: string, err: unknown): DatabaseUnavailableError {
  const code = errorCode(err);
  const check =
    code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
      ? 'it is not a kinko SQLite database (or it is damaged): check KINKO_DATABASE_URL / KINKO_DATA_DIR and restore from backup if needed'
      : code === 'ENOSPC' || code === 'SQLITE_FULL'
        ? 'the disk is full: free space on that disk'
        : 'check that the folder exists or can be created, that the kinko user may write to it, and that the disk is not read-only';
  return new DatabaseUnavailableError(`cannot open SQLite database ${file} (${code ?? 'error'}): ${check}`, { cause: err });
}

/** How long a query may wait for a free pooled connection (see openPostgres). */
const POOL_WAIT_MS = 60_000;

async function openPostgres(url: string, opts: OpenOptions): Promise<OpenDatabase> {
  const target = describePostgresTarget(url);
  // Imported here, not at the top: the embedded default (SQLite) never loads pg.
  const { default: pgLib } = await import('pg');
  const pool = new pgLib.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    // pg-pool counts this from the moment a query asks for a connection, queue
    // included: at 5 s a burst of uploads (500 at once over two instances,
    // issue 17) had half of them fail with 500 while merely waiting their turn.
    // A busy pool is waited for; an unreachable server is found by the probe below.
    connectionTimeoutMillis: POOL_WAIT_MS,
    idleTimeoutMillis: 30_000,
    application_name: 'kinko',
    types: { getTypeParser: postgresTypeParser(pgLib.types) },
  });
  // The pool discards a broken idle connection itself and the next query opens
  // a new one; without a listener Node would crash the whole process on such
  // an error (e.g. when PostgreSQL restarts).
  pool.on('error', (err) => opts.onPoolError?.(err));
  try {
    // The start-up probe: its own connection, failing fast when the server is not there.
    const probe = new pgLib.Client({ connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000, application_name: 'kinko' });
    await probe.connect();
    await probe.end();
  } catch (err) {
    await pool.end().catch(() => {});
    throw postgresUnavailable(target, err);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return wrap(db, 'postgres', (err) => postgresUnavailable(target, err));
}

const INT8_OID = 20;

/**
 * int8 (bigint columns, count(*)) becomes a JS number, as SQLite returns it,
 * instead of pg's default string; see schema.ts. A value a number cannot hold
 * exactly is refused rather than silently rounded.
 */
const postgresTypeParser = (types: typeof pg.types) =>
  ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond 2^53 and cannot be read exactly`);
  return n;
}

/** "user@host:port/db" from the URL, never the password. */
function describePostgresTarget(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not chained: URL's error carries the input, password included.
    throw new DatabaseUnavailableError('the PostgreSQL URL is not valid: expected postgres://user:pass@host:5432/db in KINKO_DATABASE_URL');
  }
  const host = u.searchParams.get('host') ?? (u.hostname || 'localhost');
  const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
  return `${user}${host}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1)) || '(default)'}`;
}

function postgresUnavailable(target: string, err: unknown): DatabaseUnavailableError {
  const code = errorCode(err);
  const text = err instanceof Error ? err.message : '';
  let check: string;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') check = 'the host name was not found: check the host in KINKO_DATABASE_URL and DNS';
  else if (code === 'ECONNREFUSED') check = 'nothing is listening there: check that PostgreSQL is running and the host and port in KINKO_DATABASE_URL';
  else if (code === 'ETIMEDOUT' || /timeout/i.test(text)) check = 'no answer in time: check the host and port, firewalls and that the server is up';
  else if (code === '28P01' || code === '28000') check = 'the login was refused: check the user name and password in KINKO_DATABASE_URL and pg_hba.conf';
  else if (code === '3D000') check = 'the database does not exist: create it (createdb) or fix the name in KINKO_DATABASE_URL';
  else if (code === '53300') check = 'the server has no free connections: raise max_connections or lower the number of app instances';
  else if (code === '57P03') check = 'the server is starting up or shutting down: retry in a moment';
  else check = 'check KINKO_DATABASE_URL (host, port, database, user, sslmode) and that the server accepts connections';
  return new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${target} (${code ?? 'error'}): ${check}`, { cause: err });
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code ? code : undefined;
}

function wrap(db: Kysely<Database>, dialect: DialectName, unavailable: (err: unknown) => DatabaseUnavailableError, checkpoints?: BackgroundCheckpoints): OpenDatabase {
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect,
    checkpoints,
    // The checkpoint thread goes first, so the connection's own close makes the last checkpoint.
    close: () => (closing ??= (checkpoints?.stop() ?? Promise.resolve()).then(() => db.destroy())),
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw unavailable(err);
      }
    },
  };
}
