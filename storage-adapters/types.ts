import type { Readable } from 'node:stream';

/**
 * The one storage contract kinko's two locations (`drops`, `vault`) are built on.
 * Streams only: no adapter ever holds a whole object in memory. Hashing and
 * encryption are pass-through streams in the domain, not in adapters.
 */
export interface StorageAdapter {
  /** Location name, e.g. "drops" or "vault" (for messages; never part of a key). */
  readonly name: string;
  /** Backend kind, "local" or "s3". */
  readonly kind: string;

  /**
   * Streams `body` to `key`. The object becomes visible only when complete: an
   * error or an abort (signal) leaves nothing behind, not even a partial upload.
   * With `createOnly`, an existing key fails with StorageExistsError.
   */
  put(key: string, body: Readable, opts?: PutOptions): Promise<PutResult>;

  /** A stream of the object's bytes. Throws StorageNotFoundError. */
  get(key: string): Promise<Readable>;

  /** Size and time of the object. Throws StorageNotFoundError. */
  head(key: string): Promise<ObjectInfo>;

  /**
   * Removes the object and every copy the backend keeps of it (all versions,
   * delete markers, incomplete multipart uploads, temp files). Idempotent.
   */
  delete(key: string): Promise<void>;

  /**
   * Anything still stored under `key` after a delete: versions, delete markers,
   * pending uploads, temp files. Empty = gone. Disposal verifies with this (P5).
   */
  remnants(key: string): Promise<string[]>;

  /**
   * remnants() for many keys at once: only keys with something left appear.
   * S3 answers from one listing of the bucket from 64 keys on (a disposal of
   * 25,000 records: 25 listing pages instead of 50,000 requests).
   */
  remnantsMany(keys: readonly string[]): Promise<Map<string, string[]>>;

  /**
   * delete() for many keys at once (a failed ingest's records, orphans found
   * by reconciliation): every copy of each goes, as with delete(); keys that
   * do not exist are fine. Every key is checked before anything is deleted.
   * Local folders sync each folder once, the packed store deletes in one
   * transaction, S3 deletes several keys at a time.
   */
  deleteMany(keys: readonly string[]): Promise<void>;

  /**
   * Writes many small objects that are already in memory (a vault record is
   * 40 bytes), create-only, far faster than one put() each: the local
   * folder adapter makes them durable with one filesystem sync instead of two
   * fsyncs per object, the packed store with one transaction, S3 sends several
   * PutObjects at once.
   *
   * When it resolves, every object is complete and durable. When it throws
   * (StorageExistsError for a key that exists, or an I/O error) or the process
   * dies, any subset of the keys may exist, possibly incomplete until the next
   * sync: the caller deletes the keys it asked for (a crash leaves orphans for
   * reconciliation). Use it only for fresh random keys nobody reads before the
   * caller has recorded them.
   */
  createMany(items: ReadonlyArray<NewObject>, opts?: { signal?: AbortSignal }): Promise<void>;

  /** Current objects under a prefix, paged lazily. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;

  /** A short-lived URL from which the object can be downloaded without a session. */
  downloadUrl(key: string, ttlSeconds: number, opts?: { filename?: string }): Promise<string>;

  /** Throws with a plain message if the location is not usable (health, doctor). */
  check(): Promise<void>;

  /**
   * Removes what interrupted puts left behind (a killed process: local temp
   * files, S3 incomplete multipart uploads) that nothing has touched for
   * `olderThanMs`. Puts still running in this process are never touched;
   * those of other processes sharing the location are recognised by age only
   * (a running local put keeps its temp file's mtime fresh).
   */
  sweepTemp(opts: { olderThanMs: number; now?: number }): Promise<TempSweepResult>;
}

export interface TempSweepResult {
  checked: number;
  removed: number;
}

export interface PutOptions {
  signal?: AbortSignal;
  createOnly?: boolean;
}

export interface NewObject {
  key: string;
  bytes: Uint8Array;
}

export interface PutResult {
  key: string;
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}
