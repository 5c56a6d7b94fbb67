import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { limits } from '../../server/config.js';
import { bigCsv as makeBigCsv, failure, smallCsv } from './worker-inputs.js';
import { expectParse, parseDropInWorker, startParseWorkers, stopParseWorkers } from '../../server/ingest/worker/parse-drop.js';
import { parseSlots, spareParseWorker } from '../../server/ingest/worker/pool.js';
import { until } from '../helpers/until.js';

/**
 * The parse workers of one process: at most limits.parse.maxConcurrent read
 * files at once (a further parse waits, then answers `busy` and reads
 * nothing), and the warmed-up spare parse process — which still reads exactly one
 * file, holds nothing before it, and never keeps the process alive.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const workbook = fs.readFileSync(path.join(here, '../fixtures/ingest/dependents.xlsx'));
const small = smallCsv(21);
const bigCsv = (rows: number) => makeBigCsv(rows, 4);

let slowFile: Buffer | undefined;

/** Keeps every slot busy with parses of a large file until the returned function is called. */
function occupySlots(): { done: Promise<unknown>; free: () => void } {
  const ctl = new AbortController();
  const slow = (slowFile ??= bigCsv(200_000));
  const runs = Array.from({ length: limits.parse.maxConcurrent }, () =>
    parseDropInWorker(slow, { signal: ctl.signal, limits: { parse: { maxRows: 1_000_000 } } }).catch((e: unknown) => e),
  );
  return { done: Promise.all(runs), free: () => ctl.abort() };
}

afterEach(async () => {
  await stopParseWorkers();
});
afterAll(async () => {
  await stopParseWorkers();
});

describe('concurrent parses are capped per process (limits.parse.maxConcurrent)', () => {
  it('the cap is a limit in config.ts, 2 by default', () => {
    expect(limits.parse.maxConcurrent).toBe(Number(process.env.KINKO_PARSE_MAX_CONCURRENT ?? 2));
  });

  it('one parse over the cap that may not wait is refused as busy (503, its own message), and reads nothing', async () => {
    const busy = occupySlots();
    try {
      await until(() => parseSlots().running === limits.parse.maxConcurrent);
      const bytes = new Uint8Array(small);
      let spawned = false;
      const e = await failure(parseDropInWorker(bytes, { waitMillis: 0, onWorker: () => (spawned = true) }));
      expect(e.code).toBe('busy');
      expect(e.messageKey).toBe('ingest.errors.busy');
      expect(e.status).toBe(503);
      expect(spawned).toBe(false);
      // The caller's bytes are as they were: the same drop can be parsed again later.
      expect(Buffer.from(bytes).equals(small)).toBe(true);
    } finally {
      busy.free();
      await busy.done;
    }
    expect(parseSlots()).toMatchObject({ running: 0, waiting: 0 });
    expect((await parseDropInWorker(small)).persons).toHaveLength(1);
  });

  it('parses that may wait are served as soon as slots free up', async () => {
    const busy = occupySlots();
    try {
      await until(() => parseSlots().running === limits.parse.maxConcurrent);
      const first = parseDropInWorker(small, { waitMillis: 60_000 });
      const second = parseDropInWorker(workbook, { waitMillis: 60_000 });
      await until(() => parseSlots().waiting === 2);
      busy.free();
      expect((await first).persons).toHaveLength(1);
      expect((await second).persons.length).toBeGreaterThan(1);
    } finally {
      busy.free();
      await busy.done;
    }
  });

  it('a parse that waited in vain is busy; an aborted waiter leaves the queue', async () => {
    const busy = occupySlots();
    try {
      await until(() => parseSlots().running === limits.parse.maxConcurrent);
      expect((await failure(parseDropInWorker(small, { waitMillis: 50 }))).code).toBe('busy');
      const ctl = new AbortController();
      const waiting = parseDropInWorker(small, { waitMillis: 60_000, signal: ctl.signal });
      await until(() => parseSlots().waiting === 1);
      ctl.abort();
      expect((await failure(waiting)).code).toBe('aborted');
      expect(parseSlots().waiting).toBe(0);
    } finally {
      busy.free();
      await busy.done;
    }
  });
});

describe('the spare parse worker', () => {
  it('is ready after startParseWorkers, reads one file only, and is replaced after it is used', async () => {
    await startParseWorkers();
    expect(spareParseWorker()).toBe('ready');
    const used: number[] = [];
    const spareWhenTaken: string[] = [];
    const exited = new Set<number>();
    const track = (w: ChildProcess) => {
      const id = w.pid!;
      used.push(id);
      spareWhenTaken.push(spareParseWorker());
      w.once('exit', () => exited.add(id));
    };
    const withSpare = await parseDropInWorker(workbook, { onWorker: track });
    // The spare was the thread used: it left the pool when the parse took it.
    expect(spareWhenTaken[0]).toBe('none');
    // The thread that read the file is gone before the answer comes back.
    expect(exited.has(used[0]!)).toBe(true);
    await until(() => spareParseWorker() === 'ready');
    await parseDropInWorker(small, { onWorker: track });
    expect(used[1]).not.toBe(used[0]);
    expect(spareWhenTaken[1]).toBe('none');
    expect(exited.has(used[1]!)).toBe(true);

    // The same answer as a thread started for the file alone.
    await stopParseWorkers();
    expect(spareParseWorker()).toBe('none');
    expect(await parseDropInWorker(workbook)).toEqual(withSpare);
  });

  it('is not used for a parse with another memory cap (its heap limit is fixed at start)', async () => {
    await startParseWorkers();
    let spareMeanwhile: string | undefined;
    await parseDropInWorker(small, { limits: { parse: { maxMemoryMiB: 96 } }, onWorker: () => (spareMeanwhile = spareParseWorker()) });
    expect(spareMeanwhile).toBe('ready');
    expect(spareParseWorker()).toBe('ready');
  });

  it('a hostile file read by the spare is refused as before, and the next spare is a new thread', async () => {
    await startParseWorkers();
    const e = await failure(parseDropInWorker(Buffer.from('PK\u0003\u0004 not really a zip')));
    expect(e.code).toBe('corrupt');
    await until(() => spareParseWorker() === 'ready');
    expect((await parseDropInWorker(small)).persons).toHaveLength(1);
  });

  it('a spare no parse takes for the idle time is ended; a key holder opening a drop (expectParse) starts one again', async () => {
    await startParseWorkers({ idleMs: 400 });
    expect(spareParseWorker()).toBe('ready');
    await until(() => spareParseWorker() === 'none');
    expectParse();
    await until(() => spareParseWorker() === 'ready');
    // Used now, it is replaced as usual, and the replacement too ends when idle.
    expect((await parseDropInWorker(small)).persons).toHaveLength(1);
    await until(() => spareParseWorker() === 'ready');
    await until(() => spareParseWorker() === 'none');
    // Without the pool (no startParseWorkers), expectParse starts nothing.
    await stopParseWorkers();
    expectParse();
    expect(spareParseWorker()).toBe('none');
  });

  it('when the server starts the pool with warmNow false, no spare runs until a key holder opens a drop (expectParse)', async () => {
    await startParseWorkers({ warmNow: false });
    await new Promise((r) => setTimeout(r, 300));
    expect(spareParseWorker()).toBe('none');
    expectParse();
    await until(() => spareParseWorker() === 'ready');
    expect((await parseDropInWorker(small)).persons).toHaveLength(1);
  });

  it('an idle spare does not keep the process alive', async () => {
    const script = "import { startParseWorkers, spareParseWorker } from './server/ingest/worker/pool.ts'; await startParseWorkers(); console.log(spareParseWorker());";
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'ready' });
  });
});
