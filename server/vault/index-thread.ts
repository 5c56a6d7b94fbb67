import { Worker } from 'node:worker_threads';

/**
 * Blind indexes of many numbers on a thread of its own (index-worker.mjs),
 * so a large file's HMACs do not stall the web tier (issue 12 item 10). Below
 * OFF_THREAD_INDEXES the caller computes them inline (≈ 6 µs each, so at
 * most ≈ 0.12 s; a thread costs ≈ 0.05 s to start). The index key is copied
 * into the thread's memory and goes with it; nothing is written (P4).
 */
export const OFF_THREAD_INDEXES = 20_000;
const SCRIPT = new URL('./index-worker.mjs', import.meta.url);

/** The indexes in the order of `numbers`, or null when the thread declined (a value that is not 12 digits) or failed. */
export function blindIndexesOnThread(indexKey: Buffer, numbers: readonly string[]): Promise<string[] | null> {
  const worker = new Worker(SCRIPT, { workerData: { key: indexKey, numbers }, env: {}, execArgv: [] });
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: string[] | null) => {
      if (done) return;
      done = true;
      void worker.terminate().finally(() => resolve(v));
    };
    worker.once('message', (m: { ok: boolean; indexes?: string[] }) => finish(m.ok && m.indexes?.length === numbers.length ? m.indexes : null));
    // `on`, not `once`: an 'error' event without a listener would take the whole process down.
    worker.on('error', () => finish(null));
    worker.once('exit', () => finish(null));
  });
}
