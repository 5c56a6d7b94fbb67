import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleWorkerScript } from '../workers/bundle.js';
import { encryptRecordsInto, NUMBER_DIGITS, RECORD_BYTES } from './record.js';
import type { SealJob, SealReply } from './seal-worker.js';

/**
 * Sealing many records at once (an ingest commit: ~25,000). On one thread
 * that is ~0.1 s of AES-GCM set-up per 25,000 records on the main thread,
 * while the commit's other CPU work — building and checking the persons
 * rows — waits. From OFF_THREAD_FROM records on, a worker thread of its own
 * seals them on the other core (seal-worker.ts, started from an in-memory
 * bundle) and the caller goes on with the rows; below that, or when the
 * thread cannot be had, they are sealed here. Either way the bytes are the
 * same record format (record.ts).
 *
 * The thread sees the raw data key and the numbers for this one job (P4: in
 * memory, for one operation) and ends after its answer. It gets no
 * environment and no process flags. When an ingest starts, a spare thread is
 * made ready (prepareSealWorker) so the commit finds it started and warm.
 */
export const OFF_THREAD_FROM = 2048;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENTRY_SOURCE = `import { run } from './seal-worker.ts';\nrun();\n`;

let script: Promise<URL | null> | undefined;

function sealWorkerScript(): Promise<URL | null> {
  // A failed build is remembered as "no thread": sealing then stays on the main thread.
  script ??= bundleWorkerScript(ENTRY_SOURCE, HERE, 'seal-worker-entry.ts').catch(() => null);
  return script;
}

// ---- the spare thread --------------------------------------------------------

/** An unused spare ends after this long (a preview left open), so an idle server keeps no thread. */
const SPARE_IDLE_MS = 15 * 60_000;
let spare: { worker: Worker; idle: NodeJS.Timeout } | undefined;

function spawn(url: URL, warmUp: boolean): Worker {
  // Output is not captured: the thread runs node:crypto and kinko's own code,
  // which print nothing (its errors reach the parent as events, by kind only),
  // and captured stdio would keep the process alive (Node 20 refs its port
  // despite unref()).
  return new Worker(url, {
    workerData: { warmUp },
    env: {},
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
}

/**
 * Gets a thread ready ahead of a large commit (called when an ingest
 * starts): the worker script is built, and one spare thread starts and warms
 * up on made-up data, holding nothing until its job — which it alone gets,
 * as the only job of its life. The commit then neither starts a thread nor
 * runs cold code.
 */
export function prepareSealWorker(): void {
  void sealWorkerScript().then((url) => {
    if (!url || spare) return;
    const worker = spawn(url, true);
    const drop = () => {
      if (spare?.worker !== worker) return;
      clearTimeout(spare.idle);
      spare = undefined;
    };
    worker.on('error', drop);
    worker.once('exit', drop);
    // After the listeners (adding one refs the thread again): a spare never keeps the process alive.
    worker.unref();
    const idle = setTimeout(() => {
      drop();
      void worker.terminate();
    }, SPARE_IDLE_MS);
    idle.unref();
    spare = { worker, idle };
  });
}

/** Ends a spare that is waiting (server shutdown), so no thread outlives the server's close. */
export async function stopSealWorkers(): Promise<void> {
  const s = spare;
  if (!s) return;
  spare = undefined;
  clearTimeout(s.idle);
  await s.worker.terminate();
}

function takeThread(url: URL): Worker {
  if (spare) {
    const { worker, idle } = spare;
    clearTimeout(idle);
    spare = undefined;
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.ref();
    return worker;
  }
  return spawn(url, false);
}

/** Seals `numbers[i]` under `tokens[i]`: the records, RECORD_BYTES each, in order. */
export async function sealRecords(dataKey: Buffer, tokens: readonly string[], numbers: readonly string[]): Promise<Buffer> {
  if (tokens.length !== numbers.length) throw new RangeError('numbers and tokens differ in count');
  // Our own copy, taken now: the caller may close its session (zeroing its key) while this runs.
  const key = Buffer.from(dataKey);
  try {
    if (tokens.length >= OFF_THREAD_FROM) {
      const url = await sealWorkerScript();
      const sealed = url ? await sealInThread(url, key, tokens, numbers).catch((e: unknown) => (e instanceof TypeError ? Promise.reject(e) : null)) : null;
      if (sealed) return sealed;
    }
    return sealHere(key, tokens, numbers);
  } finally {
    key.fill(0);
  }
}

function sealHere(dataKey: Buffer, tokens: readonly string[], numbers: readonly string[]): Buffer {
  const out = Buffer.alloc(tokens.length * RECORD_BYTES);
  const digits = numbersBuffer(numbers);
  try {
    encryptRecordsInto(dataKey, Buffer.from(tokensBuffer(tokens)), digits, out);
  } finally {
    digits.fill(0);
  }
  return out;
}

/** The numbers one after another; a value that is not 12 characters fails here (TypeError) — it is never cut to fit. */
function numbersBuffer(numbers: readonly string[], into?: Buffer): Buffer {
  const view = into ?? Buffer.alloc(numbers.length * NUMBER_DIGITS);
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i];
    if (typeof n !== 'string' || n.length !== NUMBER_DIGITS) throw new TypeError('a My Number must be 12 ASCII digits');
    view.write(n, i * NUMBER_DIGITS, 'latin1');
  }
  return view;
}

/** The tokens one after another; each must be a token (32 characters) — the sealer checks they are hex. */
function tokensBuffer(tokens: readonly string[]): ArrayBuffer {
  for (const t of tokens) if (typeof t !== 'string' || t.length !== 32) throw new TypeError('not a vault token');
  const joined = Buffer.from(tokens.join(''), 'latin1');
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length) as ArrayBuffer;
}

/**
 * Resolves with the records, rejects with TypeError for a bad token or
 * number (as sealHere would), and with anything else when the thread failed
 * (the caller then seals here instead).
 */
function sealInThread(url: URL, dataKey: Buffer, tokens: readonly string[], numbers: readonly string[]): Promise<Buffer> {
  const key = new ArrayBuffer(dataKey.length);
  Buffer.from(key).set(dataKey);
  const digits = new ArrayBuffer(numbers.length * NUMBER_DIGITS);
  numbersBuffer(numbers, Buffer.from(digits));
  const joinedTokens = tokensBuffer(tokens);
  const worker = takeThread(url);
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { records: Buffer } | { error: Error }) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if ('records' in outcome) resolve(outcome.records);
      else reject(outcome.error);
    };
    worker.on('message', (reply: SealReply) => {
      if (reply.ok && reply.records.byteLength === tokens.length * RECORD_BYTES) finish({ records: Buffer.from(reply.records) });
      else finish({ error: !reply.ok && reply.error === 'TypeError' ? new TypeError('a record could not be sealed') : new Error('seal worker failed') });
    });
    worker.on('error', () => finish({ error: new Error('seal worker failed') }));
    worker.once('exit', () => finish({ error: new Error('seal worker exited') }));
    const job: SealJob = { key, tokens: joinedTokens, numbers: digits };
    worker.postMessage(job, [key, joinedTokens, digits]);
  });
}
