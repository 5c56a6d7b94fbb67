import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { ParseError } from '../parse/errors.js';
import { resolveLimits } from '../parse/limits.js';
import type { ParseLimits, ParseOptions, ParseResult } from '../parse/types.js';
import type { ParseJob, ParseReply } from './protocol.js';

/**
 * Parses one decrypted drop in a worker thread of its own, so a hostile file
 * can cost that thread and nothing else (P8): its heap is capped
 * (`resourceLimits`, limits.parse.maxMemoryMiB), a timer terminates it at
 * limits.parse.maxMillis, and a crash, OOM or timeout comes back as a
 * ParseError with an i18n key. The web tier's event loop only spawns the
 * thread and receives one message.
 *
 * The plaintext is copied once into memory handed to the worker and dies
 * with it; nothing is written anywhere (P1). The worker's stdout/stderr are
 * swallowed: a library warning could quote the file.
 */
const ENTRY = new URL('./entry.mjs', import.meta.url);
const YOUNG_GENERATION_MB = 48;

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

  const job: ParseJob = { bytes: toTransferable(bytes), limits, ...(opts.columnChoices ? { columnChoices: opts.columnChoices } : {}) };
  const worker = new Worker(ENTRY, {
    workerData: job,
    transferList: [job.bytes],
    resourceLimits: {
      maxOldGenerationSizeMb: limits.parse.maxMemoryMiB,
      maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
      stackSizeMb: 4,
    },
    // The parser needs no configuration: the thread that reads hostile bytes sees no secrets from the environment.
    env: {},
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
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

    worker.once('message', (reply: ParseReply) => {
      if (reply.ok) finish({ result: reply.result });
      else finish({ error: new ParseError(reply.code, reply.detail) });
    });
    // `on`, not `once`: an 'error' event without a listener would take the whole process down.
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ error: new ParseError('tooBig', 'parse worker ran out of memory') });
      else finish({ error: new ParseError('corrupt', `parse worker failed (${err.code ?? err.name})`) });
    });
    worker.once('exit', (code) => finish({ error: new ParseError('corrupt', `parse worker exited (${code})`) }));
  });
}
