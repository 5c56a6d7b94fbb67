/**
 * Turning storage keys into paths that can never leave the storage root.
 *
 * Keys are already plain relative paths (keys.ts). On top of that every
 * directory on the way is checked with lstat: a symlink anywhere inside the
 * root is refused rather than followed, and the final file is opened with
 * O_NOFOLLOW. Threat: someone with write access to the data folder (or a bug)
 * plants `drops/ab -> /etc` and makes kinko read or overwrite files elsewhere.
 * Residual race: a directory swapped for a symlink between our lstat and the
 * open; that needs write access inside the root, which already owns the data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StorageError, StorageKeyError } from './errors.js';

/** Temp folder inside the root: same filesystem, so rename/link are atomic. */
export const TMP_DIR = '.tmp';

export interface LocalRoot {
  /** realpath of the root folder */
  dir: string;
  tmp: string;
}

// O_NOFOLLOW: a symlink planted at an object's name is refused (ELOOP), not read.
export const OPEN_READ = constants.O_RDONLY | constants.O_NOFOLLOW;

export async function prepareRoot(root: string): Promise<LocalRoot> {
  // 0700: other local users cannot list drops or read ciphertext names.
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  // The root itself may legitimately be a symlink (e.g. /srv/kinko -> /data);
  // everything is resolved from its real path and checked below it.
  const dir = await fs.realpath(root);
  const tmp = path.join(dir, TMP_DIR);
  await fs.mkdir(tmp, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const st = await fs.lstat(tmp);
  if (!st.isDirectory()) throw new StorageError(`${tmp} is not a plain folder (symlink or file); refusing to use it`);
  return { dir, tmp };
}

export interface Resolved {
  file: string;
  /** Folder holding the file (already checked). */
  parent: string;
  /** Folders this call created, outermost first (their parents need fsync). */
  created: string[];
  /** false when a folder on the way does not exist (and was not created). */
  exists: boolean;
}

/** Walks `key` below the root, refusing symlinks; optionally creates folders. */
export async function resolveKey(root: LocalRoot, key: string, create: boolean): Promise<Resolved> {
  const segments = key.split('/');
  const name = segments.pop()!;
  let cur = root.dir;
  const created: string[] = [];
  for (const seg of segments) {
    cur = path.join(cur, seg);
    let st = await lstatOrNull(cur);
    if (!st && create) {
      await fs.mkdir(cur, { mode: 0o700 }).then(
        () => created.push(cur),
        (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        },
      );
      st = await lstatOrNull(cur);
    }
    if (!st) return { file: path.join(cur, name), parent: cur, created, exists: false };
    if (st.isSymbolicLink()) throw new StorageKeyError('refusing to follow a symlink inside the storage folder', key);
    if (!st.isDirectory()) {
      // `a/b` when `a` is an object: absent for reads, a conflict for writes.
      if (create) throw new StorageKeyError('storage key runs through an existing object', key);
      return { file: path.join(cur, name), parent: cur, created, exists: false };
    }
  }
  const file = path.join(cur, name);
  // Belt and braces for the key rules: the joined path must stay below the root.
  const rel = path.relative(root.dir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new StorageKeyError('storage key escapes the storage folder', key);
  return { file, parent: cur, created, exists: true };
}

export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Temp files are named after a hash of their key so that `remnants` and
 * `delete` find the leftovers of a crashed put, without putting the key itself
 * (or anything derived from user input) into a file name.
 */
export function tempPrefix(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32) + '-';
}

export function tempName(key: string): string {
  return tempPrefix(key) + randomBytes(8).toString('hex');
}

/** Makes a rename/link/unlink in `dir` durable (P9: an acknowledged put survives a crash). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
