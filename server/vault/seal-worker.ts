import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { encryptRecordsInto, RECORD_BYTES } from './record.js';

/**
 * Body of the seal worker thread (seal-records.ts): seals one batch of
 * records on the second core while the main thread prepares the persons rows
 * of the same commit. One job per thread; the data key and the numbers live
 * in this thread's heap for that job only and are zeroed before the answer.
 * A spare thread (seal-records.ts) warms up first on made-up data.
 */
export interface SealJob {
  /** The raw data key, transferred (32 bytes). */
  key: ArrayBuffer;
  /** The tokens, 32 ASCII hex characters each, one after another (transferred). */
  tokens: ArrayBuffer;
  /** The numbers, 12 ASCII digits each, one after another (transferred). */
  numbers: ArrayBuffer;
}

/** The records, RECORD_BYTES each in the order of the tokens; or the kind of failure only (never a value). */
export type SealReply = { ok: true; records: ArrayBuffer } | { ok: false; error: 'TypeError' | 'RangeError' | 'Error' };

export function sealJob(job: SealJob): Buffer {
  const key = Buffer.from(job.key);
  const numbers = Buffer.from(job.numbers);
  try {
    const out = Buffer.from(new ArrayBuffer((numbers.length / 12) * RECORD_BYTES));
    encryptRecordsInto(key, Buffer.from(job.tokens), numbers, out);
    return out;
  } finally {
    key.fill(0);
    numbers.fill(0);
  }
}

/** Runs the sealing code once on made-up data (a throwaway random key, no number of anyone), so a spare's first job runs optimised code. */
function warmUp(): void {
  const n = 2048;
  const key = randomBytes(32);
  const tokens = Buffer.from(randomBytes(n * 16).toString('hex'), 'latin1');
  const numbers = Buffer.alloc(n * 12, '0'.charCodeAt(0));
  encryptRecordsInto(key, tokens, numbers, Buffer.alloc(n * RECORD_BYTES));
  key.fill(0);
}

export function run(): void {
  const port = parentPort;
  if (!port) throw new Error('seal-worker runs only as a worker thread');
  if ((workerData as { warmUp?: boolean } | undefined)?.warmUp) {
    try {
      warmUp();
    } catch {
      /* only an optimisation */
    }
  }
  port.once('message', (job: SealJob) => {
    let reply: SealReply;
    let transfer: ArrayBuffer[] = [];
    try {
      // Records are ciphertext; the buffer is handed over (transferred), not copied.
      const records = sealJob(job).buffer as ArrayBuffer;
      reply = { ok: true, records };
      transfer = [records];
    } catch (e) {
      reply = { ok: false, error: e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : 'Error' };
    }
    port.postMessage(reply, transfer);
    process.exit(0);
  });
}
