/** Typed storage failures, so callers never parse backend error strings. */
export class StorageError extends Error {
  constructor(message: string, readonly key?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The key does not exist (or was deleted). */
export class StorageNotFoundError extends StorageError {}

/** The key is not acceptable: traversal, absolute path, odd characters, too long. */
export class StorageKeyError extends StorageError {}

/** createOnly put found the key already present. */
export class StorageExistsError extends StorageError {}

/** A signed download URL that is expired, tampered with or malformed. */
export class StorageUrlError extends StorageError {}
