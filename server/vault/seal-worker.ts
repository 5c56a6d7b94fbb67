import { parentPort } from 'node:worker_threads';
import { encryptRecordInto, NUMBER_DIGITS, RECORD_BYTES } from './record.js';

/**
 * Body of the seal worker thread (seal-records.ts): seals one batch of
 * records on the second core while the main thread prepares the persons rows
 * of the same commit. One job per thread; the data key and the numbers live
 * in this thread's heap for that job only and are zeroed before the answer.
 */
export interface SealJob {
  /** The raw data key, transferred (32 bytes). */
  key: ArrayBuffer;
  tokens: string[];
  /** The numbers, NUMBER_DIGITS ASCII digits each, one after another (as Latin-1 bytes, transferred). */
  numbers: ArrayBuffer;
}

/** The records, RECORD_BYTES each in the order of the tokens; or the kind of failure only (never a value). */
export type SealReply = { ok: true; records: ArrayBuffer } | { ok: false; error: 'TypeError' | 'RangeError' | 'Error' };

export function sealJob(job: SealJob): Buffer {
  const key = Buffer.from(job.key);
  const numbers = Buffer.from(job.numbers);
  try {
    if (numbers.length !== job.tokens.length * NUMBER_DIGITS) throw new RangeError('numbers and tokens differ in count');
    const out = Buffer.from(new ArrayBuffer(job.tokens.length * RECORD_BYTES));
    for (let i = 0; i < job.tokens.length; i++) {
      encryptRecordInto(key, job.tokens[i]!, numbers.toString('latin1', i * NUMBER_DIGITS, (i + 1) * NUMBER_DIGITS), out, i * RECORD_BYTES);
    }
    return out;
  } finally {
    key.fill(0);
    numbers.fill(0);
  }
}

export function run(): void {
  const port = parentPort;
  if (!port) throw new Error('seal-worker runs only as a worker thread');
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
