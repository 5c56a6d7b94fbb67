import { StorageKeyError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Keys are ours (random ids), never user file names. Anything outside a plain
 * relative path of safe segments is refused, which defends every adapter
 * against traversal (`../`), absolute paths, NUL bytes and odd Unicode.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new StorageKeyError('storage key must be 1–512 characters', undefined);
  }
  const segments = key.split('/');
  for (const s of segments) {
    if (!SEGMENT.test(s) || s === '.' || s === '..' || s.includes('..')) {
      throw new StorageKeyError('storage key has an unsafe segment', undefined);
    }
  }
}

/** assertValidKey as a test: for names found on disk, which are skipped rather than refused. */
export function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Prefixes may be empty or end with a slash; otherwise the same rules. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
