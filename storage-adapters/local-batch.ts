/**
 * createMany for the local adapter: many small, fresh objects made durable
 * together.
 *
 * put() costs two fsyncs per object (the file, then its folder), each a
 * journal commit; for 25,000 vault records that is most of an ingest. Here
 * each object is created in place with O_CREAT|O_EXCL (create-only, and never
 * through a symlink planted at its name) and written in one write(), several
 * at a time; then ONE sync makes all of them durable: `sync -f` (syncfs(2) on
 * the filesystem holding the folder) for a large batch, or per-file and
 * per-folder fsync for a small one or where `sync -f` is not available.
 *
 * No temp file and rename: the contract of createMany (types.ts) lets a
 * failed or interrupted batch leave objects behind, which the caller deletes
 * (or reconciliation does after a crash); nobody reads these keys before the
 * caller records them, and that happens only after this resolves.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { forEachAtOnce } from './concurrency.js';
import { StorageExistsError, StorageKeyError } from './errors.js';
import { assertValidKey } from './keys.js';
import { fsyncDir, resolveKey, type LocalRoot } from './local-paths.js';
import type { NewObject } from './types.js';

/** Files being created at once (each open/write/close is a round trip to the thread pool). */
const CONCURRENCY = 32;
/** From this many objects on, one filesystem sync is cheaper than an fsync per file. */
const SYNCFS_FROM = 64;
// O_EXCL makes open() fail on any existing name, a symlink included: create-only and no write-through.
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export async function createManyLocal(root: LocalRoot, items: ReadonlyArray<NewObject>, signal?: AbortSignal): Promise<void> {
  for (const item of items) assertValidKey(item.key);
  signal?.throwIfAborted();
  const files: string[] = [];
  const dirs = new Set<string>();
  await forEachAtOnce(
    items,
    CONCURRENCY,
    async (item) => {
      const r = await resolveKey(root, item.key, true);
      for (const d of r.created) dirs.add(path.dirname(d));
      dirs.add(r.parent);
      const fh = await fs.open(r.file, CREATE, 0o600).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') throw new StorageExistsError('object already exists', item.key);
        if (e.code === 'ELOOP') throw new StorageKeyError('refusing to write through a symlink inside the storage folder', item.key);
        throw e;
      });
      try {
        files.push(r.file);
        const { bytesWritten } = await fh.write(item.bytes, 0, item.bytes.length, 0);
        if (bytesWritten !== item.bytes.length) throw new Error('short write');
      } finally {
        await fh.close();
      }
    },
    signal,
  );
  if (items.length >= SYNCFS_FROM && (await syncFilesystem(root.dir))) return;
  await fsyncEach(files);
  for (const d of dirs) await fsyncDir(d);
}

async function fsyncEach(files: string[]): Promise<void> {
  await forEachAtOnce(files, CONCURRENCY, async (file) => {
    const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

let syncfsWorks: boolean | undefined;

/**
 * syncfs(2) through coreutils' `sync -f` (Node has no binding): every dirty
 * file and folder of that filesystem reaches the disk; since Linux 5.8 a
 * writeback error is reported (non-zero exit). false = not available here
 * (not Linux, an old coreutils): the caller falls back to fsync per file.
 */
export async function syncFilesystem(dir: string): Promise<boolean> {
  if (syncfsWorks === false) return false;
  const ok = await new Promise<boolean | Error>((resolve) => {
    execFile('sync', ['-f', dir], { timeout: 120_000 }, (err) => {
      if (!err) return resolve(true);
      const code = (err as NodeJS.ErrnoException).code;
      // Missing binary or an option it does not know: remember and fall back.
      if (code === 'ENOENT' || (syncfsWorks === undefined && typeof code === 'number')) return resolve(false);
      resolve(err);
    });
  });
  if (ok instanceof Error) throw ok;
  syncfsWorks = ok;
  return ok;
}
