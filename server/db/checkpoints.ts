import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/**
 * Checkpoints of the embedded database off the request path. SQLite by
 * default checkpoints inside the COMMIT that grows the write-ahead log past
 * 1,000 pages: an ingest's commit (~25,000 persons rows, ~18 MB of log) then
 * also copies those pages into the database file and syncs it — ~30 ms more
 * on the staff member's click. Instead, while the server runs, a thread of
 * its own (checkpoint-worker.mjs, its own connection) checkpoints every
 * EVERY_MS, PASSIVE (never waiting for or blocking readers and writers), and
 * the app's connection does not checkpoint at commit. If the thread fails or
 * is stopped, the app's connection checkpoints at commit again, as SQLite
 * does by default: the log never grows without bound. Durability is the
 * log's (synchronous=FULL), not the checkpoint's, so nothing committed
 * depends on this thread.
 */
const EVERY_MS = 500;
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
const WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);

export interface BackgroundCheckpoints {
  /** Checkpoints now and resolves with the log's state after it (tests, `kinko doctor`). */
  now(): Promise<{ log: number; checkpointed: number }>;
  /** Ends the thread; the connection checkpoints at commit again. Safe to call twice. */
  stop(): Promise<void>;
}

export function startBackgroundCheckpoints(raw: SqliteDatabase.Database, file: string): BackgroundCheckpoints {
  // Output not captured: it sees only database pages, and captured stdio would
  // keep the process alive (Node 20 refs the stdio port despite unref()).
  const worker = new Worker(WORKER, { workerData: { file, everyMs: EVERY_MS }, env: {}, execArgv: [] });
  let running = true;
  const fallBack = () => {
    if (!running) return;
    running = false;
    // Back to SQLite's own: checkpoints at commit once the log passes 1,000 pages.
    if (raw.open) raw.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  };
  worker.on('error', fallBack);
  worker.once('exit', fallBack);
  raw.pragma('wal_autocheckpoint = 0');

  type Waiter = { resolve: (r: { log: number; checkpointed: number }) => void; reject: (e: Error) => void };
  let waiting: Waiter[] = [];
  worker.on('message', (m: { log?: number; checkpointed?: number; error?: string }) => {
    const now = waiting;
    waiting = [];
    if (now.length) worker.unref();
    // A checkpoint that failed (the file busy past the timeout, the disk full) is answered as such, never left hanging.
    if (m.log === undefined || m.checkpointed === undefined) for (const w of now) w.reject(new Error(`checkpoint failed (${m.error ?? 'error'})`));
    else for (const w of now) w.resolve({ log: m.log, checkpointed: m.checkpointed });
  });
  // After the listeners (adding one refs the thread again): it never keeps the process alive.
  worker.unref();

  return {
    now: () =>
      new Promise((resolve, reject) => {
        if (!running) return reject(new Error('background checkpoints are stopped'));
        waiting.push({ resolve, reject });
        worker.ref(); // until the answer
        worker.postMessage('now');
      }),
    stop: async () => {
      if (!running) return;
      // Held until the thread has closed its connection (else the process could end first, mid-close).
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      fallBack();
      await worker.terminate();
    },
  };
}
