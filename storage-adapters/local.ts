/**
 * A storage location in a local folder (the embedded default).
 *
 * Writes go to `<root>/.tmp/<hash>-<random>` first, are fsync'd, then renamed
 * (or hard-linked for createOnly) into place, so a reader or a crash never
 * sees half an object. Download URLs are HMAC-signed and served by the app
 * through openSignedDownload.
 */
import { constants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError, StorageExistsError, StorageKeyError, StorageNotFoundError } from './errors.js';
import { assertValidKey, assertValidPrefix, isValidKey } from './keys.js';
import {
  OPEN_READ,
  TMP_DIR,
  fsyncDir,
  isMissing,
  lstatOrNull,
  prepareRoot,
  resolveKey,
  tempName,
  tempPrefix,
  type LocalRoot,
} from './local-paths.js';
import { forEachAtOnce } from './concurrency.js';
import { createManyLocal } from './local-batch.js';
import { sweepLocalTemp } from './local-temp.js';
import { DEFAULT_MIN_FREE_BYTES, assertWritable, reasonOf } from './local-space.js';
import { buildSignedUrl, deriveUrlKey, registerSignedSource } from './signed-url.js';
import type { ObjectInfo, PutOptions, PutResult, StorageAdapter } from './types.js';

export interface LocalAdapterOptions {
  /** Location name ("drops", "vault"); part of the download URL path. */
  name: string;
  /** Folder holding the objects; created (0700) if missing. */
  root: string;
  /** App secret; a dedicated download-URL key is derived from it. */
  signingSecret: string;
  /** Public URL of the app, e.g. https://kinko.example.jp */
  baseUrl: string;
  /** Clock for URL expiry (tests). */
  now?: () => number;
  /** check() fails below this much free space (the disk is as good as full). */
  minFreeBytes?: number;
}

export function createLocalAdapter(opts: LocalAdapterOptions): StorageAdapter {
  const { name, baseUrl } = opts;
  const now = opts.now ?? Date.now;
  const urlKey = deriveUrlKey(opts.signingSecret);
  let rootPromise: Promise<LocalRoot> | undefined;
  /** Temp names of puts running in this process: sweepTemp never takes them, however slow the upload. */
  const writing = new Set<string>();
  // Created lazily so that building the app touches no disk; retried after a failure.
  const ready = () =>
    (rootPromise ??= prepareRoot(opts.root).catch((e) => {
      rootPromise = undefined;
      throw e;
    }));

  /** Opens a regular file without following a final symlink; fd-based size, no TOCTOU. */
  async function openObject(key: string): Promise<{ stream: Readable; size: number }> {
    const root = await ready();
    const r = await resolveKey(root, key, false);
    if (!r.exists) throw new StorageNotFoundError('no such object', key);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(r.file, OPEN_READ);
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') throw new StorageNotFoundError('no such object', key);
      // ELOOP = the final component is a symlink (O_NOFOLLOW).
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new StorageKeyError('refusing to follow a symlink inside the storage folder', key);
      throw e;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StorageNotFoundError('no such object', key);
      // The stream owns the handle from here (autoClose on end or destroy).
      return { stream: fh.createReadStream(), size: st.size };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async function put(key: string, body: Readable, o: PutOptions = {}): Promise<PutResult> {
    try {
      assertValidKey(key);
      o.signal?.throwIfAborted();
    } catch (e) {
      body.destroy();
      throw e;
    }
    let tmp: string | undefined;
    let busy: string | undefined;
    try {
      const root = await ready();
      const r = await resolveKey(root, key, true);
      const existing = await lstatOrNull(r.file);
      if (existing?.isSymbolicLink()) throw new StorageKeyError('refusing to replace a symlink inside the storage folder', key);
      // Fail before streaming megabytes; the link() below is the atomic check.
      if (o.createOnly && existing) throw new StorageExistsError('object already exists', key);
      tmp = path.join(root.tmp, tempName(key));
      writing.add((busy = path.basename(tmp)));
      // 'wx' = O_CREAT|O_EXCL: never reuse or write through (symlink) a file
      // someone placed at the temp name. flush: fsync before close, so data
      // reaches the disk before any name points at it (P9).
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1 << 20 });
      // The signal aborts the copy mid-stream; the catch below removes the temp file.
      await pipeline(body, out, { signal: o.signal });
      const size = out.bytesWritten;
      if (o.createOnly) {
        // link() fails with EEXIST instead of replacing: no lost race with another put.
        await fs.link(tmp, r.file).catch((e: NodeJS.ErrnoException) => {
          throw e.code === 'EEXIST' ? new StorageExistsError('object already exists', key) : e;
        });
        const staged = tmp;
        tmp = undefined; // committed: the object exists from here on
        // A leftover link would show in remnants() and go with delete().
        await fs.unlink(staged).catch(() => {});
      } else {
        await fs.rename(tmp, r.file);
        tmp = undefined;
      }
      // New names (the object, and any folders we created) survive a power cut.
      for (const dir of new Set([...r.created.map((d) => path.dirname(d)), r.parent])) await fsyncDir(dir);
      return { key, size };
    } catch (e) {
      body.destroy();
      // Threat: half-written temp files piling up (disk exhaustion, stale
      // plaintext-sized leftovers); an aborted or failed put leaves nothing.
      if (tmp) await fs.rm(tmp, { force: true });
      // Same error as the S3 adapter for an abort: the signal's own reason.
      throw o.signal?.aborted ? (o.signal.reason ?? e) : e;
    } finally {
      if (busy) writing.delete(busy);
    }
  }

  async function head(key: string): Promise<ObjectInfo> {
    assertValidKey(key);
    const r = await resolveKey(await ready(), key, false);
    const st = r.exists ? await lstatOrNull(r.file) : null;
    if (st?.isSymbolicLink()) throw new StorageKeyError('refusing to follow a symlink inside the storage folder', key);
    if (!st?.isFile()) throw new StorageNotFoundError('no such object', key);
    return { key, size: st.size, lastModified: st.mtime };
  }

  /** Temp files of `key` left by failed or crashed puts. */
  async function tempFilesOf(root: LocalRoot, key: string): Promise<string[]> {
    const prefix = tempPrefix(key);
    const out: string[] = [];
    for await (const ent of await fs.opendir(root.tmp)) if (ent.name.startsWith(prefix)) out.push(ent.name);
    return out;
  }

  async function remnants(key: string): Promise<string[]> {
    assertValidKey(key);
    const root = await ready();
    const r = await resolveKey(root, key, false);
    const out: string[] = [];
    if (r.exists && (await lstatOrNull(r.file))) out.push(key);
    for (const t of await tempFilesOf(root, key)) out.push(`${TMP_DIR}/${t}`);
    return out;
  }

  /** Removes `key` and its temp files; returns the folders to fsync so the removal survives a crash. */
  async function removeKey(root: LocalRoot, key: string): Promise<string[]> {
    const r = await resolveKey(root, key, false);
    const dirty: string[] = [];
    if (r.exists) {
      // unlink never follows a symlink: at worst it removes the link itself.
      await fs.unlink(r.file).then(
        () => dirty.push(r.parent),
        (e: NodeJS.ErrnoException) => {
          if (!isMissing(e) && e.code !== 'EISDIR' && e.code !== 'EPERM') throw e;
        },
      );
    }
    const temps = await tempFilesOf(root, key);
    for (const t of temps) await fs.rm(path.join(root.tmp, t), { force: true });
    if (temps.length) dirty.push(root.tmp);
    return dirty;
  }

  async function del(key: string): Promise<void> {
    assertValidKey(key);
    // P5: the disposal certificate must not be undone by a crash.
    for (const dir of await removeKey(await ready(), key)) await fsyncDir(dir);
  }

  async function delMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    const root = await ready();
    const dirty = new Set<string>();
    await forEachAtOnce(keys, 16, async (key) => {
      for (const dir of await removeKey(root, key)) dirty.add(dir);
    });
    for (const dir of dirty) await fsyncDir(dir);
  }

  async function* walk(dir: string, keyPrefix: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    let handle;
    try {
      handle = await fs.opendir(dir);
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for await (const ent of handle) {
      if (!ent.name.startsWith(namePrefix)) continue;
      if (keyPrefix === '' && ent.name === TMP_DIR) continue;
      const key = keyPrefix + ent.name;
      // Never follow symlinks (they could lead outside the root); skip names
      // that are not valid keys (stray files) since nothing could address them.
      if (ent.isSymbolicLink() || !isValidKey(key)) continue;
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) yield* walk(full, key + '/', '');
      else if (ent.isFile()) {
        const st = await lstatOrNull(full);
        if (st?.isFile()) yield { key, size: st.size, lastModified: st.mtime };
      }
    }
  }

  async function* list(prefix = ''): AsyncGenerator<ObjectInfo> {
    assertValidPrefix(prefix);
    const root = await ready();
    const cut = prefix.lastIndexOf('/') + 1;
    const dirPart = prefix.slice(0, cut);
    let dir = root.dir;
    if (dirPart) {
      // Resolve the folder part with the same symlink checks as a key in it.
      const r = await resolveKey(root, dirPart + 'x', false);
      if (!r.exists) return;
      dir = r.parent;
    }
    yield* walk(dir, dirPart, prefix.slice(cut));
  }

  async function check(): Promise<void> {
    try {
      const root = await ready();
      await fs.access(root.tmp, constants.W_OK);
      await assertWritable(root.tmp, opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES);
    } catch (e) {
      throw new StorageError(`storage "${name}": folder ${opts.root} is not usable (${reasonOf(e)})`);
    }
  }

  const adapter: StorageAdapter = {
    name,
    kind: 'local',
    put,
    get: async (key) => {
      assertValidKey(key);
      return (await openObject(key)).stream;
    },
    head,
    createMany: async (items, o) => createManyLocal(await ready(), items, o?.signal),
    delete: del,
    deleteMany: delMany,
    remnants,
    remnantsMany: async (keys) => {
      const out = new Map<string, string[]>();
      for (const key of keys) {
        const left = await remnants(key);
        if (left.length) out.set(key, left);
      }
      return out;
    },
    list,
    downloadUrl: async (key, ttlSeconds, o) => {
      assertValidKey(key);
      return buildSignedUrl(baseUrl, urlKey, name, key, ttlSeconds, now(), o?.filename);
    },
    check,
    sweepTemp: async (o) => sweepLocalTemp((await ready()).tmp, { olderThanMs: o.olderThanMs, now: o.now ?? Date.now(), busy: writing }),
  };
  registerSignedSource(adapter, urlKey, openObject);
  return adapter;
}
