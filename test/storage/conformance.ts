/**
 * The one storage conformance suite: every adapter (local folder, packed local
 * store, S3 on moto, S3 on s3rver) runs exactly these behaviours through the StorageAdapter
 * contract. Backend differences are options that say what the backend is,
 * never a different assertion for the same behaviour.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  StorageExistsError,
  StorageKeyError,
  StorageNotFoundError,
  type StorageAdapter,
} from '../../storage-adapters/index.js';
import { MiB, getGc, hashTap, readText, sampleRss, seededStream, sha256Of, stallingBody, watchedBody } from './streams.js';

export interface Harness {
  adapter: StorageAdapter;
  cleanup?: () => Promise<void>;
}

export interface ConformanceOptions {
  /** The backend keeps object versions (moto with versioning enabled). */
  versioned?: boolean;
  /**
   * Download-URL checks this backend does not make, each with the reason. Those
   * tests are not registered for it (a printed note says why): the server has no
   * such check to exercise, so there is nothing to skip — the same assertions
   * run against the backends that do check (local, and expiry on s3rver).
   */
  urlChecksMissing?: { expiry?: string; signature?: string };
  /** `describe` to use, e.g. describeWith(...) for suites needing a server. */
  describe?: typeof describe;
  bigObjectMiB?: number;
  /**
   * The backend keeps small objects only (the packed vault store): instead of
   * the big streaming test, an object over this size must be refused whole,
   * and the mid-stream tests stall below it.
   */
  maxObjectBytes?: number;
}

const BAD_KEYS = ['../escape', '/etc/passwd', 'a/../../b', 'nul\0byte', '..', 'a/./b', 'a//b', '', 'C:\\x', 'back\\slash'];

const put = (a: StorageAdapter, key: string, text: string, createOnly = false) =>
  a.put(key, Readable.from([Buffer.from(text)]), { createOnly });

async function allKeys(a: StorageAdapter, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of a.list(prefix)) keys.push(o.key);
  return keys.sort();
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
}

export function runStorageConformance(name: string, makeAdapter: () => Promise<Harness>, opts: ConformanceOptions = {}): void {
  const describeFn = opts.describe ?? describe;
  const bigMiB = opts.bigObjectMiB ?? 200;
  const missing = opts.urlChecksMissing ?? {};
  const small = opts.maxObjectBytes;
  // Where a mid-stream test stalls: 12 MiB in 1 MiB chunks, or half the size limit in 1 KiB chunks.
  const stall = small ? { bytes: Math.floor(small / 2048) * 1024, chunk: 1024 } : { bytes: 12 * MiB, chunk: MiB };
  const urlTest = (what: 'expiry' | 'signature') => {
    if (!missing[what]) return it;
    console.warn(`[kinko tests] ${name}: download URL ${what} check not applicable: ${missing[what]}`);
    return ((_title: string, _fn: unknown) => undefined) as unknown as typeof it;
  };

  describeFn(`storage conformance: ${name}`, () => {
    let h: Harness;
    let a: StorageAdapter;
    // Every run writes below its own prefix, so shared buckets never collide.
    const run = `run-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      h = await makeAdapter();
      a = h.adapter;
      await a.check();
    }, 60_000);
    afterAll(async () => {
      await h?.cleanup?.();
    });

    it('when an object is put, then get returns the same bytes and head its size', async () => {
      const key = `${run}/round-trip`;
      const text = 'kinko 金庫 round trip\n'.repeat(100);
      const res = await put(a, key, text);
      expect(res).toEqual({ key, size: Buffer.byteLength(text) });
      expect(await readText(await a.get(key))).toBe(text);
      const info = await a.head(key);
      expect(info.key).toBe(key);
      expect(info.size).toBe(Buffer.byteLength(text));
      // (not toBeInstanceOf(Date): jest's module sandbox has its own Date)
      expect(Math.abs(info.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
      await put(a, `${run}/empty`, '');
      expect((await a.head(`${run}/empty`)).size).toBe(0);
    });

    it('when a key does not exist, then get and head throw StorageNotFoundError', async () => {
      await expect(a.get(`${run}/missing`)).rejects.toBeInstanceOf(StorageNotFoundError);
      await expect(a.head(`${run}/missing`)).rejects.toBeInstanceOf(StorageNotFoundError);
      await expect(a.get(`${run}/no/such/folder`)).rejects.toBeInstanceOf(StorageNotFoundError);
    });

    it('when createOnly meets an existing key, then it throws StorageExistsError and keeps the original', async () => {
      const key = `${run}/create-only`;
      await put(a, key, 'first', true);
      await expect(put(a, key, 'second', true)).rejects.toBeInstanceOf(StorageExistsError);
      expect(await readText(await a.get(key))).toBe('first');
      expect(await a.remnants(key)).toHaveLength(1);
    });

    it('when many small objects are created at once, then each reads back with its own bytes and lists', async () => {
      // 150 takes the local adapter's one-sync path, 3 its fsync-per-file path.
      for (const [batch, count] of [['many', 150], ['few', 3]] as const) {
        const items = Array.from({ length: count }, (_, i) => ({ key: `${run}/${batch}/${i}`, bytes: randomBytes(40 + (i % 7)) }));
        await a.createMany(items);
        expect(await allKeys(a, `${run}/${batch}/`)).toEqual(items.map((x) => x.key).sort());
        for (const x of [items[0]!, items[count - 1]!]) expect(await sha256Of(await a.get(x.key))).toEqual(await sha256Of(Readable.from([x.bytes])));
        expect((await a.head(items[1]!.key)).size).toBe(items[1]!.bytes.length);
      }
    });

    it('when createMany meets an existing key, then it throws StorageExistsError and the existing object keeps its bytes', async () => {
      const taken = `${run}/many-taken/5`;
      await put(a, taken, 'original');
      const items = Array.from({ length: 10 }, (_, i) => ({ key: `${run}/many-taken/${i}`, bytes: Buffer.from(`new ${i}`) }));
      await expect(a.createMany(items)).rejects.toBeInstanceOf(StorageExistsError);
      expect(await readText(await a.get(taken))).toBe('original');
    });

    it('when one key of a createMany batch is unsafe, then nothing is written', async () => {
      const items = [{ key: `${run}/many-bad/ok`, bytes: Buffer.from('x') }, { key: '../escape', bytes: Buffer.from('y') }];
      await expect(a.createMany(items)).rejects.toBeInstanceOf(StorageKeyError);
      await expect(a.head(`${run}/many-bad/ok`)).rejects.toBeInstanceOf(StorageNotFoundError);
    });

    it('when a put is aborted mid-stream, then no object and no remnant is left', async () => {
      const key = `${run}/aborted`;
      const ac = new AbortController();
      const body = stallingBody(stall.bytes, () => ac.abort(), stall.chunk);
      const err = await rejection(a.put(key, body, { signal: ac.signal }));
      expect((err as Error).name).toBe('AbortError');
      await expect(a.head(key)).rejects.toBeInstanceOf(StorageNotFoundError);
      expect(await a.remnants(key)).toEqual([]);
    }, 60_000);

    it('when the source stream fails mid-stream, then the put fails and leaves nothing', async () => {
      const key = `${run}/source-error`;
      const body = stallingBody(stall.bytes, (b) => b.destroy(new Error('client went away')), stall.chunk);
      await expect(a.put(key, body)).rejects.toThrow('client went away');
      await expect(a.head(key)).rejects.toBeInstanceOf(StorageNotFoundError);
      expect(await a.remnants(key)).toEqual([]);
    }, 60_000);

    it('when an object overwritten twice is deleted, then nothing remains, and deleting again is fine', async () => {
      const key = `${run}/three-versions`;
      for (const v of ['v1', 'v2', 'v3']) await put(a, key, v);
      expect(await readText(await a.get(key))).toBe('v3');
      const before = await a.remnants(key);
      expect(before).toHaveLength(opts.versioned ? 3 : 1);
      await a.delete(key);
      expect(await a.remnants(key)).toEqual([]);
      await expect(a.head(key)).rejects.toBeInstanceOf(StorageNotFoundError);
      await a.delete(key);
      await a.delete(`${run}/never-existed`);
      expect(await a.remnants(key)).toEqual([]);
    });

    it('when many keys are deleted at once, then none remains, missing keys are fine, and an unsafe key stops it before anything goes', async () => {
      const items = Array.from({ length: 30 }, (_, i) => ({ key: `${run}/del-many/${i}`, bytes: randomBytes(40) }));
      await a.createMany(items);
      await put(a, items[0]!.key, 'overwritten once');
      const keep = `${run}/del-many-keep`;
      await put(a, keep, 'stays');
      await expect(a.deleteMany([items[1]!.key, '../escape'])).rejects.toBeInstanceOf(StorageKeyError);
      expect((await a.head(items[1]!.key)).size).toBe(40);
      await a.deleteMany([...items.map((x) => x.key), `${run}/del-many/never-existed`]);
      expect(await allKeys(a, `${run}/del-many/`)).toEqual([]);
      for (const x of [items[0]!, items[29]!]) expect(await a.remnants(x.key)).toEqual([]);
      expect(await readText(await a.get(keep))).toBe('stays');
      await a.deleteMany(items.map((x) => x.key));
      await a.deleteMany([]);
    });

    it('when 70 keys (enough for the one-listing path) are deleted at once, every version goes, the ones kept stay, and remnantsMany names exactly the ones kept', async () => {
      const items = Array.from({ length: 75 }, (_, i) => ({ key: `${run}/bulk/${String(i).padStart(2, '0')}`, bytes: randomBytes(40) }));
      await a.createMany(items);
      await put(a, items[0]!.key, 'a second version');
      const gone = items.slice(0, 70).map((x) => x.key);
      const kept = items.slice(70).map((x) => x.key);
      await a.deleteMany([...gone, `${run}/bulk/never-existed`]);
      expect(await allKeys(a, `${run}/bulk/`)).toEqual(kept);
      for (const key of [gone[0]!, gone[69]!]) expect(await a.remnants(key)).toEqual([]);
      const left = await a.remnantsMany([...gone, ...kept]);
      expect([...left.keys()].sort()).toEqual(kept);
      for (const key of kept) expect(left.get(key)!.length).toBeGreaterThan(0);
      expect((await a.remnantsMany(gone)).size).toBe(0);
      await a.deleteMany(kept);
      expect((await a.remnantsMany(kept)).size).toBe(0);
    });

    it('when listing a prefix, then every object under it comes back (across pages where the adapter pages), and nothing else', async () => {
      const base = `${run}/list`;
      const inside = [...Array.from({ length: 7 }, (_, i) => `${base}/a-${i}`), `${base}/b-0`, `${base}/sub/a-9`];
      for (const k of [...inside, `${base}-other/x`, `${base}x`]) await put(a, k, `content of ${k}`);
      expect(await allKeys(a, `${base}/`)).toEqual([...inside].sort());
      expect(await allKeys(a, `${base}/a-`)).toEqual(inside.filter((k) => k.startsWith(`${base}/a-`)).sort());
      expect(await allKeys(a, `${base}/nothing-here/`)).toEqual([]);
      for await (const o of a.list(`${base}/sub/`)) {
        expect(o).toMatchObject({ key: `${base}/sub/a-9`, size: Buffer.byteLength(`content of ${base}/sub/a-9`) });
      }
    });

    it('when a key is unsafe, then every method throws StorageKeyError before touching the backend', async () => {
      const keysBefore = await allKeys(a);
      for (const bad of BAD_KEYS) {
        const body = watchedBody('must never be stored');
        await expect(a.put(bad, body)).rejects.toBeInstanceOf(StorageKeyError);
        expect(body.reads).toBe(0);
        await expect(a.get(bad)).rejects.toBeInstanceOf(StorageKeyError);
        await expect(a.head(bad)).rejects.toBeInstanceOf(StorageKeyError);
        await expect(a.delete(bad)).rejects.toBeInstanceOf(StorageKeyError);
        await expect(a.remnants(bad)).rejects.toBeInstanceOf(StorageKeyError);
        await expect(a.downloadUrl(bad, 60)).rejects.toBeInstanceOf(StorageKeyError);
        if (bad) await expect(allKeys(a, bad)).rejects.toBeInstanceOf(StorageKeyError);
      }
      expect(await allKeys(a)).toEqual(keysBefore);
    });

    it('when a download URL is fetched, then it serves the bytes without a session', async () => {
      const key = `${run}/download`;
      await put(a, key, 'download me');
      const res = await fetch(await a.downloadUrl(key, 60));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('download me');
      const named = await fetch(await a.downloadUrl(key, 60, { filename: '給与明細 2024年.pdf' }));
      expect(named.status).toBe(200);
      expect(await named.text()).toBe('download me');
    });

    urlTest('signature')('when a download URL is tampered with, then it is refused', async () => {
      const key = `${run}/tamper`;
      await put(a, key, 'secret');
      const url = new URL(await a.downloadUrl(key, 60, { filename: 'a.pdf' }));
      const sigParam = [...url.searchParams.keys()].find((k) => /^(sig|X-Amz-Signature)$/.test(k))!;
      const sig = url.searchParams.get(sigParam)!;
      const forged = new URL(url);
      // '0'/'1' are valid in both base64url and hex, so only the value changes.
      forged.searchParams.set(sigParam, (sig[0] === '0' ? '1' : '0') + sig.slice(1));
      expect((await fetch(forged)).status).toBeGreaterThanOrEqual(400);
      const renamed = new URL(url);
      const nameParam = url.searchParams.has('filename') ? 'filename' : 'response-content-disposition';
      renamed.searchParams.set(nameParam, 'attachment; filename="other.exe"');
      expect((await fetch(renamed)).status).toBeGreaterThanOrEqual(400);
      expect((await fetch(url)).status).toBe(200);
    });

    urlTest('expiry')('when a download URL has expired, then it is refused', async () => {
      const key = `${run}/expiring`;
      await put(a, key, 'soon gone');
      const url = await a.downloadUrl(key, 1);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await fetch(url);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }, 10_000);

    if (small) {
      it(`when an object is over the ${small}-byte limit of this backend, then put and createMany refuse it and leave nothing`, async () => {
        const key = `${run}/too-big`;
        const body = stallingBody(small + 1024, () => {}, 1024);
        await expect(a.put(key, body)).rejects.toThrow(/small records only/);
        await expect(a.createMany([{ key, bytes: Buffer.alloc(small + 1) }])).rejects.toThrow(/small records only/);
        expect(await a.remnants(key)).toEqual([]);
        await a.put(key, Readable.from([Buffer.alloc(small, 1)]));
        expect((await a.head(key)).size).toBe(small);
      });
      return;
    }

    it(`when ${bigMiB} MiB stream through put and get, then the bytes match and memory stays flat`, async () => {
      const key = `${run}/big`;
      const bytes = bigMiB * MiB;
      // Warm-up: one-time costs (lazy modules, JIT, connection pools, the
      // allocator's first arenas) are not what this test is about; growth
      // with object size is.
      await a.put(key, seededStream('warm-up', 16 * MiB));
      await sha256Of(await a.get(key));
      const gc = getGc();
      gc?.();
      const baseline = process.memoryUsage.rss();
      const rss = sampleRss({ everyMs: 50, gc });
      const { tap, hash } = hashTap();
      const feeding = pipeline(seededStream(`conformance ${run}`, bytes), tap).catch(() => {});
      const res = await a.put(key, tap);
      await feeding;
      expect(res.size).toBe(bytes);
      expect((await a.head(key)).size).toBe(bytes);
      const got = await sha256Of(await a.get(key));
      const peak = rss.stop();
      expect(got.bytes).toBe(bytes);
      expect(got.hex).toBe(hash.digest('hex'));
      if (process.env.KINKO_TEST_VERBOSE) console.log(`${name}: ${bigMiB} MiB put+get, RSS growth ${((peak - baseline) / MiB).toFixed(1)} MiB`);
      expect((peak - baseline) / MiB).toBeLessThan(64);
      await a.delete(key);
      expect(await a.remnants(key)).toEqual([]);
      // A generous bound, not a speed check (bench/ measures speed): alone this
      // takes ~20 s on s3rver, but beside the two-instance suites on 2 cores it
      // went past 300 s once in .ci/run. What is asserted is bytes and memory.
    }, 600_000);
  });
}
