/**
 * A storage location for many small objects in a local folder: the vault's
 * embedded default. The objects (vault records, 40 bytes each) are rows of
 * one SQLite file, `<root>/records.sqlite`, instead of one file each.
 *
 * Why: a 10,000-employee roster is ≈ 25,000 records. As files that is 25,000
 * inodes and 4 KiB blocks (≈ 100 MiB of disk for 1 MiB of records) and a
 * kernel file-create each, which on a virtual disk costs 25–450 µs — seconds
 * per ingest before any real work. As rows they are one transaction.
 *
 * What the store holds is exactly what the folder held (P2): the key (the
 * random token), the ciphertext and the time written — no names, no company.
 *
 * Durability and disposal, as for files:
 * - write-ahead log with synchronous=FULL: when put/createMany resolve, the
 *   rows survive a crash or a power cut;
 * - createMany is one transaction: all of the batch or none of it;
 * - secure_delete: a deleted row's bytes are overwritten with zeros in the
 *   database file, and delete() then checkpoints and truncates the log so no
 *   older copy of the page stays in it either (P5);
 * - objects are small by contract: a put over MAX_OBJECT_BYTES is refused
 *   before anything is written (large files belong in a folder location).
 *
 * Calls are synchronous under the hood (better-sqlite3); each is a short
 * indexed statement, so the event loop is held for microseconds. A large
 * createMany (OFF_THREAD_FROM objects or more: an ingest's records) goes to
 * a writer thread with a connection of its own (local-pack-thread.ts), so
 * the caller's thread is free meanwhile. Several connections and processes
 * (the writer thread, a `kinko` command) may open the same file; SQLite's
 * locking serialises them.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StorageError, StorageExistsError, StorageNotFoundError } from './errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { importLooseRecords } from './local-pack-import.js';
import { DEFAULT_MIN_FREE_BYTES, assertWritable, reasonOf } from './local-space.js';
import { insertOffThread } from './local-pack-thread.js';
import { buildSignedUrl, deriveUrlKey, registerSignedSource } from './signed-url.js';
import type { NewObject, ObjectInfo, PutOptions, PutResult, StorageAdapter } from './types.js';

export const PACK_FILE = 'records.sqlite';
/** A createMany of this many objects or more is inserted on the writer thread (local-pack-thread.ts), not on the caller's. */
export const OFF_THREAD_FROM = 1024;
/** Largest object the pack takes; a vault record is 40 bytes. */
export const MAX_OBJECT_BYTES = 64 * 1024;
const LIST_PAGE = 1000;

export interface LocalPackOptions {
  name: string;
  /** Folder holding records.sqlite; created (0700) if missing. */
  root: string;
  signingSecret: string;
  baseUrl: string;
  now?: () => number;
  /** check() fails below this much free space (the disk is as good as full). */
  minFreeBytes?: number;
}

interface Row {
  key: string;
  bytes: Buffer;
  modified_ms: number;
}

export function createLocalPackAdapter(opts: LocalPackOptions): StorageAdapter {
  const { name, baseUrl } = opts;
  const now = opts.now ?? Date.now;
  const urlKey = deriveUrlKey(opts.signingSecret);
  let db: Database.Database | undefined;

  // Opened lazily, so building the app touches no disk; retried after a failure.
  function open(): Database.Database {
    if (db) return db;
    fs.mkdirSync(opts.root, { recursive: true, mode: 0o700 });
    const file = path.join(opts.root, PACK_FILE);
    // 0600 before SQLite sees it: its log and shared-memory files copy the mode.
    fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600));
    const d = new Database(file, { fileMustExist: true });
    try {
      if (d.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new StorageError(`storage "${name}": ${file} cannot use write-ahead logging; put it on a local disk`);
      d.pragma('synchronous = FULL');
      d.pragma('secure_delete = ON');
      d.pragma('busy_timeout = 5000');
      d.exec('CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, bytes BLOB NOT NULL, modified_ms INTEGER NOT NULL) STRICT, WITHOUT ROWID');
      // A vault folder from before the packed store: its one-file-per-record objects come in first.
      importLooseRecords(d, opts.root, PACK_FILE, MAX_OBJECT_BYTES);
    } catch (e) {
      d.close();
      throw e;
    }
    return (db = d);
  }

  const statements = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    const d = open();
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = d.prepare(sql)));
    return s;
  };
  const row = (key: string) => stmt('SELECT key, bytes, modified_ms FROM objects WHERE key = ?').get(key) as Row | undefined;

  function insert(items: ReadonlyArray<NewObject>, replace: boolean): void {
    const ins = stmt(`INSERT ${replace ? 'OR REPLACE ' : ''}INTO objects (key, bytes, modified_ms) VALUES (?, ?, ?)`);
    const at = now();
    const write = open().transaction(() => {
      for (const it of items) {
        try {
          ins.run(it.key, Buffer.from(it.bytes.buffer, it.bytes.byteOffset, it.bytes.byteLength), at);
        } catch (e) {
          if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StorageExistsError('object already exists', it.key);
          throw e;
        }
      }
    });
    write.immediate();
  }

  function sizeCheck(key: string, size: number): void {
    if (size > MAX_OBJECT_BYTES) throw new StorageError(`storage "${name}" keeps small records only (at most ${MAX_OBJECT_BYTES} bytes)`, key);
  }

  async function put(key: string, body: Readable, o: PutOptions = {}): Promise<PutResult> {
    const chunks: Buffer[] = [];
    let size = 0;
    // An abort while the source stalls ends the read at once.
    const onAbort = () => body.destroy(o.signal!.reason as Error);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      assertValidKey(key);
      o.signal?.throwIfAborted();
      if (o.createOnly && row(key)) throw new StorageExistsError('object already exists', key);
      for await (const chunk of body) {
        o.signal?.throwIfAborted();
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += b.length;
        sizeCheck(key, size);
        chunks.push(b);
      }
      o.signal?.throwIfAborted();
      insert([{ key, bytes: Buffer.concat(chunks) }], !o.createOnly);
      return { key, size };
    } catch (e) {
      body.destroy();
      throw o.signal?.aborted ? (o.signal.reason ?? e) : e;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      for (const c of chunks) c.fill(0);
    }
  }

  function openObject(key: string): { stream: Readable; size: number } {
    const r = row(key);
    if (!r) throw new StorageNotFoundError('no such object', key);
    return { stream: Readable.from([r.bytes]), size: r.bytes.length };
  }

  async function delMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    const remove = stmt('DELETE FROM objects WHERE key = ?');
    let gone = 0;
    open()
      .transaction(() => {
        for (const key of keys) gone += remove.run(key).changes;
      })
      .immediate();
    // The rows' bytes are zeroed in the database file (secure_delete); the
    // log still holds the pages as they were until it is checkpointed and cut.
    if (gone) open().pragma('wal_checkpoint(TRUNCATE)');
  }

  async function* list(prefix = ''): AsyncGenerator<ObjectInfo> {
    assertValidPrefix(prefix);
    // Keys are ASCII (keys.ts), so SQLite's byte order is JavaScript's order and
    // the keys under a prefix are one run starting at the prefix itself.
    const first = stmt('SELECT key, length(bytes) AS size, modified_ms FROM objects WHERE key >= ? ORDER BY key LIMIT ?');
    const next = stmt('SELECT key, length(bytes) AS size, modified_ms FROM objects WHERE key > ? ORDER BY key LIMIT ?');
    let rows = first.all(prefix, LIST_PAGE) as Array<{ key: string; size: number; modified_ms: number }>;
    for (;;) {
      for (const r of rows) {
        if (!r.key.startsWith(prefix)) return;
        yield { key: r.key, size: r.size, lastModified: new Date(r.modified_ms) };
      }
      if (rows.length < LIST_PAGE) return;
      rows = next.all(rows[rows.length - 1]!.key, LIST_PAGE) as typeof rows;
    }
  }

  const adapter: StorageAdapter = {
    name,
    kind: 'local',
    put,
    get: async (key) => {
      assertValidKey(key);
      return openObject(key).stream;
    },
    head: async (key) => {
      assertValidKey(key);
      const r = row(key);
      if (!r) throw new StorageNotFoundError('no such object', key);
      return { key, size: r.bytes.length, lastModified: new Date(r.modified_ms) };
    },
    createMany: async (items, o) => {
      o?.signal?.throwIfAborted();
      for (const it of items) {
        assertValidKey(it.key);
        sizeCheck(it.key, it.bytes.byteLength);
      }
      if (items.length >= OFF_THREAD_FROM) {
        open(); // the table exists (and an old layout is taken in) before the writer thread sees the file
        const outcome = await insertOffThread(path.join(opts.root, PACK_FILE), items, now());
        if (outcome.kind === 'exists') throw new StorageExistsError('object already exists', outcome.key);
        if (outcome.kind === 'done') return;
      }
      insert(items, false);
    },
    delete: (key) => delMany([key]),
    deleteMany: delMany,
    remnants: async (key) => {
      assertValidKey(key);
      return row(key) ? [key] : [];
    },
    remnantsMany: async (keys) => {
      for (const key of keys) assertValidKey(key);
      return new Map(keys.filter((key) => row(key)).map((key) => [key, [key]]));
    },
    list,
    downloadUrl: async (key, ttlSeconds, o) => {
      assertValidKey(key);
      return buildSignedUrl(baseUrl, urlKey, name, key, ttlSeconds, now(), o?.filename);
    },
    check: async () => {
      try {
        // Readable (a WAL read never waits for the writer) and writable by this
        // user. Not a write lock taken and given back: that runs on the calling
        // thread and, while the writer thread holds the lock for an ingest's
        // 200,000 records, blocked the whole web process in busy_timeout —
        // /healthz took hundreds of milliseconds during a confirmation (issue 12).
        open().prepare('SELECT 1 FROM objects LIMIT 1').get();
        await fs.promises.access(path.join(opts.root, PACK_FILE), fs.constants.R_OK | fs.constants.W_OK);
        // A lock needs no space; a full disk fails the next insert, so probe it.
        await assertWritable(opts.root, opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES);
      } catch (e) {
        throw new StorageError(`storage "${name}": ${path.join(opts.root, PACK_FILE)} is not usable (${reasonOf(e)})`);
      }
    },
    // Rows are written inside SQLite transactions: an interrupted write leaves
    // nothing of its own to sweep (the log is rolled back by SQLite itself).
    sweepTemp: async () => ({ checked: 0, removed: 0 }),
  };
  registerSignedSource(adapter, urlKey, async (key) => openObject(key));
  return adapter;
}
