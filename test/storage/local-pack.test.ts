import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLocalAdapter, StorageExistsError, StorageNotFoundError } from '../../storage-adapters/index.js';
import { createLocalPackAdapter, MAX_OBJECT_BYTES, OFF_THREAD_FROM, PACK_FILE } from '../../storage-adapters/local-pack.js';
import { runStorageConformance } from './conformance.js';
import { localHarness } from './local-download-server.js';
import { readText, sha256Of } from './streams.js';

const SECRET = 'test-secret-'.padEnd(44, 'k');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pack-'));
}

const pack = (root: string) => createLocalPackAdapter({ name: 'vault', root, signingSecret: SECRET, baseUrl: 'http://127.0.0.1:9' });

/** Every byte stored under the folder, in every file SQLite keeps there (database, log, shared memory). */
function folderBytes(root: string): Buffer {
  return Buffer.concat(fs.readdirSync(root).map((f) => fs.readFileSync(path.join(root, f))));
}

runStorageConformance(
  'local packed store (vault)',
  () => localHarness((root, baseUrl) => createLocalPackAdapter({ name: 'vault', root, signingSecret: SECRET, baseUrl })),
  { maxObjectBytes: MAX_OBJECT_BYTES },
);

describe('local packed store', () => {
  it('when records are written, then the folder (0700) holds one database file (0600) and its log, nothing named after a record', async () => {
    const root = path.join(tempDir(), 'vault');
    const a = pack(root);
    const keys = Array.from({ length: 20 }, () => randomBytes(16).toString('hex'));
    await a.createMany(keys.map((key) => ({ key, bytes: randomBytes(60) })));
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(root).sort();
    expect(files[0]).toBe(PACK_FILE);
    for (const f of files) {
      expect(f.startsWith(PACK_FILE)).toBe(true);
      expect(fs.statSync(path.join(root, f)).mode & 0o077).toBe(0);
    }
  });

  it('when a record is deleted, then its bytes are in no file of the folder any more, and another process sees it gone', async () => {
    const root = path.join(tempDir(), 'vault');
    const a = pack(root);
    const marker = Buffer.from('kinko-secure-delete-marker-'.repeat(2));
    const [keep, gone] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    await a.createMany([
      { key: keep, bytes: randomBytes(60) },
      { key: gone, bytes: marker },
    ]);
    expect(folderBytes(root).includes(marker)).toBe(true);
    await a.delete(gone);
    expect(folderBytes(root).includes(marker)).toBe(false);
    expect(await a.remnants(gone)).toEqual([]);
    // A second opener of the same folder (a `kinko` command beside the server).
    const other = pack(root);
    await expect(other.head(gone)).rejects.toBeInstanceOf(StorageNotFoundError);
    expect((await other.head(keep)).size).toBe(60);
  });

  it('when more records than one page are listed, then each comes back once, in order', async () => {
    const a = pack(path.join(tempDir(), 'vault'));
    const keys = Array.from({ length: 2_345 }, () => randomBytes(16).toString('hex')).sort();
    await a.createMany(keys.map((key) => ({ key, bytes: randomBytes(40) })));
    const seen: string[] = [];
    for await (const o of a.list('')) seen.push(o.key);
    expect(seen).toEqual(keys);
  });

  describe(`a batch of ${OFF_THREAD_FROM} records or more (written by the writer thread)`, () => {
    const batch = (n: number) => Array.from({ length: n }, () => ({ key: randomBytes(16).toString('hex'), bytes: randomBytes(40) }));

    it('when it is written, then every record reads back as written, also for another opener of the folder, and the caller was not held meanwhile', async () => {
      const root = path.join(tempDir(), 'vault');
      const a = pack(root);
      const records = batch(OFF_THREAD_FROM * 20);
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      await a.createMany(records);
      ticking = false;
      // Inserted on the caller's thread, the whole batch would be one turn of the event loop.
      expect(turns).toBeGreaterThan(2);
      const other = pack(root);
      for (const r of [records[0]!, records[records.length - 1]!]) {
        expect(await sha256Of(await a.get(r.key))).toEqual(await sha256Of(Readable.from([r.bytes])));
        expect((await other.head(r.key)).size).toBe(40);
      }
      let n = 0;
      for await (const _ of other.list('')) n++;
      expect(n).toBe(records.length);
    });

    it('when it meets an existing key, then none of it is written', async () => {
      const a = pack(path.join(tempDir(), 'vault'));
      const records = batch(OFF_THREAD_FROM + 10);
      await a.createMany([{ key: records[500]!.key, bytes: Buffer.from('original') }]);
      await expect(a.createMany(records)).rejects.toBeInstanceOf(StorageExistsError);
      for (const r of [records[0]!, records[499]!, records[501]!, records[records.length - 1]!]) expect(await a.remnants(r.key)).toEqual([]);
      expect(await readText(await a.get(records[500]!.key))).toBe('original');
    });

    it('when a script writes one and ends, then the batch is complete and the process ends by itself', () => {
      const root = path.join(tempDir(), 'vault');
      const script = fileURLToPath(new URL('./fixtures/pack-batch-then-end.ts', import.meta.url));
      const run = spawnSync(process.execPath, ['--import', 'tsx', script, root], { encoding: 'utf8', timeout: 30_000 });
      expect(run.signal).toBeNull(); // not killed by the timeout: nothing kept it alive
      expect(run.status).toBe(0); // not 13: it did not end with the write still pending
      const out = JSON.parse(run.stdout) as { first: string; last: string; count: number };
      const a = pack(root);
      return Promise.all([a.head(out.first), a.head(out.last)]).then((heads) => expect(heads.map((h) => h.size)).toEqual([40, 40]));
    });

    it('when one of its records is deleted, then its bytes are in no file of the folder any more', async () => {
      const root = path.join(tempDir(), 'vault');
      const a = pack(root);
      const records = batch(OFF_THREAD_FROM + 1);
      const marker = Buffer.from('kinko-writer-thread-marker-'.repeat(2));
      records[7] = { key: records[7]!.key, bytes: marker };
      await a.createMany(records);
      expect(folderBytes(root).includes(marker)).toBe(true);
      await a.delete(records[7]!.key);
      expect(folderBytes(root).includes(marker)).toBe(false);
      expect(await a.remnants(records[7]!.key)).toEqual([]);
    });
  });

  it('when a batch meets an existing key, then none of the batch is written', async () => {
    const a = pack(path.join(tempDir(), 'vault'));
    const taken = randomBytes(16).toString('hex');
    await a.createMany([{ key: taken, bytes: Buffer.from('original') }]);
    const fresh = Array.from({ length: 5 }, () => randomBytes(16).toString('hex'));
    await expect(a.createMany([...fresh.map((key) => ({ key, bytes: randomBytes(40) })), { key: taken, bytes: Buffer.from('new') }])).rejects.toBeInstanceOf(StorageExistsError);
    for (const key of fresh) expect(await a.remnants(key)).toEqual([]);
    expect(await readText(await a.get(taken))).toBe('original');
  });

  it('when the folder still holds records as one file each (before the packed store), then they are taken in with their times and the files go', async () => {
    const root = path.join(tempDir(), 'vault');
    const old = createLocalAdapter({ name: 'vault', root, signingSecret: SECRET, baseUrl: 'http://127.0.0.1:9' });
    const records = Array.from({ length: 40 }, () => ({ key: randomBytes(16).toString('hex'), bytes: randomBytes(40) }));
    await old.createMany(records);
    const before = (await old.head(records[0]!.key)).lastModified.getTime();
    fs.writeFileSync(path.join(root, '.tmp', 'leftover-staging-file'), 'half a put');
    fs.symlinkSync('/etc/hostname', path.join(root, 'f'.repeat(32)));

    const a = pack(root);
    const listed: string[] = [];
    for await (const o of a.list('')) listed.push(o.key);
    expect(listed).toEqual(records.map((r) => r.key).sort());
    for (const r of [records[0]!, records[39]!]) expect(await sha256Of(await a.get(r.key))).toEqual(await sha256Of(Readable.from([r.bytes])));
    expect(Math.abs((await a.head(records[0]!.key)).lastModified.getTime() - before)).toBeLessThan(1000);
    // The files and the old staging folder are gone; a symlink is not followed, not taken in, and left alone.
    expect(fs.readdirSync(root).filter((f) => !f.startsWith(PACK_FILE)).sort()).toEqual(['f'.repeat(32)]);
    // Opening again (another process) finds nothing more to take in and the same records.
    let again = 0;
    for await (const _ of pack(root).list('')) again++;
    expect(again).toBe(40);
  });

  it('while another connection holds the write lock (the writer thread during an ingest), check() answers at once and says usable', async () => {
    const root = tempDir();
    const p = pack(root);
    await p.put('a'.repeat(32), Readable.from([Buffer.from('x')]), { createOnly: true });
    const other = new Database(path.join(root, PACK_FILE));
    try {
      other.exec('BEGIN IMMEDIATE');
      const t = performance.now();
      await p.check();
      expect(performance.now() - t).toBeLessThan(1000); // the old lock probe waited busy_timeout (5 s), blocking the thread
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('when the folder cannot be written, then check() says which file is not usable', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vault'), 'a file where the folder should be');
    await expect(pack(path.join(dir, 'vault')).check()).rejects.toThrow(/storage "vault"/);
  });
});
