import type { Readable } from 'node:stream';
import { ParseError } from '../parse/errors.js';
import { resolveLimits } from '../parse/limits.js';
import type { ParseLimits, ParseOptions, ParseResult } from '../parse/types.js';
import { acquireParseSlot, parseWorkerDone, QUEUE_WAIT_MS, takeParseWorker } from './pool.js';
import { unpackResult } from './pack.js';
import type { ParseJob, ParseReply, WorkerReady } from './protocol.js';

export { expectParse, startParseWorkers, stopParseWorkers } from './pool.js';

/**
 * Parses one decrypted drop in a worker thread of its own, so a hostile file
 * can cost that thread and nothing else (P8): its heap is capped
 * (`resourceLimits`, limits.parse.maxMemoryMiB), a timer terminates it at
 * limits.parse.maxMillis, and a crash, OOM or timeout comes back as a
 * ParseError with an i18n key. The web tier's event loop only hands the
 * bytes over and receives one message.
 *
 * At most limits.parse.maxConcurrent parses run at once in this process; a
 * further one waits for a slot (QUEUE_WAIT_MS, or opts.waitMillis) and then
 * fails with ParseError `busy`, leaving the drop as it was (pool.ts).
 *
 * The plaintext is copied once into memory handed to the worker and dies
 * with it; nothing is written anywhere (P1). The worker's stdout/stderr are
 * swallowed: a library warning could quote the file.
 */
async function collect(input: Readable, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > maxBytes) {
      input.destroy();
      throw new ParseError('tooBig', 'file over the size limit');
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

function toTransferable(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

export async function parseDropInWorker(plaintext: Uint8Array | Readable, opts: ParseOptions = {}): Promise<ParseResult> {
  const limits: ParseLimits = resolveLimits(opts.limits);
  if (opts.signal?.aborted) throw new ParseError('aborted');
  const bytes = plaintext instanceof Uint8Array ? plaintext : await collect(plaintext, limits.maxBytes);
  if (bytes.byteLength > limits.maxBytes) throw new ParseError('tooBig', 'file over the size limit');
  if (bytes.byteLength === 0) throw new ParseError('empty', 'zero bytes');
  if (opts.signal?.aborted) throw new ParseError('aborted');

  const release = await acquireParseSlot(opts.waitMillis ?? QUEUE_WAIT_MS, opts.signal);
  try {
    if (opts.signal?.aborted) throw new ParseError('aborted');
    return await runJob(bytes, limits, opts);
  } finally {
    release();
    parseWorkerDone();
  }
}

async function runJob(bytes: Uint8Array, limits: ParseLimits, opts: ParseOptions): Promise<ParseResult> {
  const job: ParseJob = { bytes: toTransferable(bytes), limits, ...(opts.columnChoices ? { columnChoices: opts.columnChoices } : {}) };
  const worker = await takeParseWorker(limits.parse.maxMemoryMiB);
  opts.onWorker?.(worker);

  return new Promise<ParseResult>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { result: ParseResult } | { error: ParseError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Always end the thread before answering: its heap (with the plaintext) goes with it.
      void worker.terminate().finally(() => ('result' in outcome ? resolve(outcome.result) : reject(outcome.error)));
    };
    const timer = setTimeout(() => finish({ error: new ParseError('timeout', `over ${limits.parse.maxMillis} ms`) }), limits.parse.maxMillis);
    const onAbort = () => finish({ error: new ParseError('aborted') });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    worker.on('message', (reply: ParseReply | WorkerReady) => {
      if ('ready' in reply) return; // a spare's hello, not an answer
      if (!reply.ok) return finish({ error: new ParseError(reply.code, reply.detail) });
      let result: ParseResult;
      try {
        result = unpackResult(reply.result);
      } catch {
        return finish({ error: new ParseError('corrupt', 'malformed parse result') });
      }
      finish({ result });
    });
    // `on`, not `once`: an 'error' event without a listener would take the whole process down.
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ error: new ParseError('tooBig', 'parse worker ran out of memory') });
      else finish({ error: new ParseError('corrupt', `parse worker failed (${err.code ?? err.name})`) });
    });
    worker.once('exit', (code) => finish({ error: new ParseError('corrupt', `parse worker exited (${code})`) }));
    worker.postMessage(job, [job.bytes]);
  });
}
