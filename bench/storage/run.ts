/**
 * Storage bench: kinko's adapters against the raw peer, and memory per size.
 *
 *   node --import tsx bench/storage/run.ts [sizeMiB...]      (default: 256 1024)
 *
 * For each size, from one pre-generated random file:
 *   (a) raw peer: `dd if=<file> of=<target> bs=4M conv=fsync`
 *   (b) local adapter streamed put (temp file, fsync, rename, dir fsync)
 *   (c) local adapter get, streamed to /dev/null
 *   (d) S3 adapter put and get through moto started here (skipped with a reason
 *       if moto cannot start)
 * Local measurements are the median of KINKO_BENCH_RUNS (default 3) runs; S3 runs
 * once. Peak RSS is sampled every 50 ms per size: it should not grow with size.
 * KINKO_BENCH_DIR picks the folder (and so the filesystem) to write in.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createLocalAdapter, type StorageAdapter } from '../../storage-adapters/index.js';
import { createS3Adapter } from '../../storage-adapters/s3.js';
import { startMoto, type Started } from '../../test/helpers/servers.js';
import { createTestBucket } from '../../test/storage/s3-bucket.js';
import { MiB, sampleRss, seededStream } from '../../test/storage/streams.js';

const TARGET_RATIO = 0.7;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (!sizes.length) sizes.push(256, 1024);
const runs = Math.max(1, Number(process.env.KINKO_BENCH_RUNS ?? 3));

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function rawWrite(src: string, dst: string): void {
  const r = spawnSync('dd', [`if=${src}`, `of=${dst}`, 'bs=4M', 'conv=fsync'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dd failed: ${r.stderr}`);
}

async function putFile(a: StorageAdapter, key: string, src: string): Promise<void> {
  await a.put(key, fs.createReadStream(src));
}

async function getToNull(a: StorageAdapter, key: string): Promise<void> {
  await pipeline(await a.get(key), fs.createWriteStream('/dev/null'));
}

interface S3Bench {
  adapter?: StorageAdapter & { close(): void };
  moto?: Started;
  reason?: string;
}

async function startS3(): Promise<S3Bench> {
  const moto = await startMoto().catch((e: Error) => ({ env: {}, stop: async () => {}, reason: e.message }) as Started);
  const endpoint = moto.env.KINKO_TEST_MOTO_ENDPOINT;
  if (!endpoint) return { moto, reason: moto.reason ?? 'moto did not start' };
  try {
    const b = await createTestBucket(endpoint, { versioning: false });
    const adapter = createS3Adapter({
      name: 'bench',
      bucket: b.bucket,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      accessKeyId: b.accessKeyId,
      secretAccessKey: b.secretAccessKey,
    });
    return { adapter, moto };
  } catch (e) {
    await moto.stop();
    return { reason: `moto started but a bucket could not be created: ${(e as Error).message}` };
  }
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(process.env.KINKO_BENCH_DIR ?? os.tmpdir(), 'kinko-bench-'));
  // findmnt names ext4 correctly (`stat -f` says "ext2/ext3" for all three).
  const fsType =
    spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', base], { encoding: 'utf8' }).stdout?.trim() ||
    spawnSync('stat', ['-f', '-c', '%T', base], { encoding: 'utf8' }).stdout?.trim() ||
    'unknown filesystem';
  const local = createLocalAdapter({
    name: 'bench',
    root: path.join(base, 'local'),
    signingSecret: randomBytes(32).toString('base64'),
    baseUrl: 'http://localhost',
  });
  await local.check();
  const s3 = await startS3();
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`kinko storage bench — node ${process.version}, ${os.cpus().length} CPU(s) ${cpu}, load ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);
  console.log(`folder ${base} (${fsType}); local: median of ${runs} run(s); S3: moto, 1 run, ${s3.adapter ? 'started' : `SKIPPED: ${s3.reason}`}`);
  console.log(`rss at start ${fmt(process.memoryUsage.rss() / MiB)} MiB\n`);

  const rows: string[][] = [['size', 'raw dd put', 'local put', 'put/raw', 'local get', 'S3 put', 'S3 get', 'peak RSS']];
  const verdicts: string[] = [];
  try {
    for (const size of sizes) {
      const src = path.join(base, `source-${size}.bin`);
      await pipeline(seededStream(`bench ${size}`, size * MiB), fs.createWriteStream(src));
      // Flush the source's dirty pages now, or their writeback would compete
      // with whichever measurement runs first.
      const fd = fs.openSync(src, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const rss = sampleRss({ everyMs: 50 });
      const raw: number[] = [];
      const put: number[] = [];
      const get: number[] = [];
      for (let i = 0; i < runs; i++) {
        const dst = path.join(base, `dd-${size}-${i}.bin`);
        raw.push(await timed(() => rawWrite(src, dst)));
        fs.rmSync(dst);
        const key = `bench/${size}-${i}`;
        put.push(await timed(() => putFile(local, key, src)));
        get.push(await timed(() => getToNull(local, key)));
        await local.delete(key);
      }
      let s3Put = NaN;
      let s3Get = NaN;
      if (s3.adapter) {
        const key = `bench/${size}`;
        s3Put = await timed(() => putFile(s3.adapter!, key, src));
        s3Get = await timed(() => getToNull(s3.adapter!, key));
        await s3.adapter.delete(key);
      }
      const peak = rss.stop();
      fs.rmSync(src);
      const speed = (secs: number) => (Number.isNaN(secs) ? 'skipped' : `${fmt(size / secs)} MiB/s`);
      const ratio = median(raw) / median(put);
      rows.push([
        `${size} MiB`,
        speed(median(raw)),
        speed(median(put)),
        `${fmt(ratio * 100, 0)}%`,
        speed(median(get)),
        speed(s3Put),
        speed(s3Get),
        `${fmt(peak / MiB)} MiB`,
      ]);
      verdicts.push(`${size} MiB: local put ${fmt(ratio * 100, 0)}% of raw [target ≥ ${TARGET_RATIO * 100}%: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}]` +
        `  (runs, s: raw ${raw.map((x) => fmt(x, 2)).join('/')}, put ${put.map((x) => fmt(x, 2)).join('/')}, get ${get.map((x) => fmt(x, 2)).join('/')})`);
    }
  } finally {
    s3.adapter?.close();
    await s3.moto?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
  console.log('');
  for (const v of verdicts) console.log(v);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
