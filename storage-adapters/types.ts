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

  /** Current objects under a prefix, paged lazily. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;

  /** A short-lived URL from which the object can be downloaded without a session. */
  downloadUrl(key: string, ttlSeconds: number, opts?: { filename?: string }): Promise<string>;

  /** Throws with a plain message if the location is not usable (health, doctor). */
  check(): Promise<void>;
}

export interface PutOptions {
  signal?: AbortSignal;
  createOnly?: boolean;
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
