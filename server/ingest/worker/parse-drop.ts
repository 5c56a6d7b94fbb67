import type { Readable } from 'node:stream';
import { ParseError } from '../parse/errors.js';
import { resolveLimits } from '../parse/limits.js';
import type { ParseLimits, ParseOptions, ParseResult } from '../parse/types.js';
import { acquireParseSlot, parseWorkerDone, QUEUE_WAIT_MS, takeParseWorker } from './pool.js';
import { unpackResult } from './pack.js';
import { endChild, watchMemory } from './child-process.js';
import type { ParseJob, ParseReply, WorkerReady } from './protocol.js';

export { expectParse, startParseWorkers, stopParseWorkers } from './pool.js';

/**
 * Parses one decrypted drop in a process of its own (child-process.ts), so a
 * hostile file can cost that process and nothing else (P8): its resident
 * memory is capped at limits.parse.maxMemoryMiB (heap, buffers and native
 * memory alike), a timer kills it at limits.parse.maxMillis, and a crash,
 * abort, OOM or timeout comes back as a ParseError with an i18n key. The web
 * tier's event loop only writes the bytes to a pipe and receives one message.
 *
 * At most limits.parse.maxConcurrent parses run at once in this process; a
 * further one waits for a slot (QUEUE_WAIT_MS, or opts.waitMillis) and then
 * fails with ParseError `busy`, leaving the drop as it was (pool.ts).
 *
 * The plaintext goes to the child over its stdin pipe and dies with it;
 * nothing is written anywhere (P1). The child's stdout/stderr go to
 * /dev/null: a library warning could quote the file.
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

/** How a parse process that ended without an answer is reported. */
function exitError(code: number | null, signal: NodeJS.Signals | null, overMemory: boolean): ParseError {
  if (overMemory) return new ParseError('tooBig', 'parse process over its memory cap');
  // V8's "Reached heap limit" aborts (SIGABRT, 134): the file needed more than the cap.
  if (signal === 'SIGABRT' || code === 134) return new ParseError('tooBig', 'parse process ran out of memory');
  return new ParseError('corrupt', `parse process exited (${signal ?? code})`);
}

async function runJob(bytes: Uint8Array, limits: ParseLimits, opts: ParseOptions): Promise<ParseResult> {
  const job: ParseJob = { size: bytes.byteLength, limits, ...(opts.columnChoices ? { columnChoices: opts.columnChoices } : {}) };
  const child = await takeParseWorker(limits.parse.maxMemoryMiB);
  const proc = child.proc;
  opts.onWorker?.(proc);

  return new Promise<ParseResult>((resolve, reject) => {
    let settled = false;
    let overMemory = false;
    const stopWatch = watchMemory(proc, limits.parse.maxMemoryMiB * 1024 * 1024, () => (overMemory = true));
    const finish = (outcome: { result: ParseResult } | { error: ParseError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const peak = stopWatch();
      opts.signal?.removeEventListener('abort', onAbort);
      proc.off('message', onMessage);
      opts.onPeakRss?.(peak);
      // Always end the process before answering: its memory (with the plaintext) goes with it.
      void endChild(proc).finally(() => ('result' in outcome ? resolve(outcome.result) : reject(outcome.error)));
    };
    const timer = setTimeout(() => finish({ error: new ParseError('timeout', `over ${limits.parse.maxMillis} ms`) }), limits.parse.maxMillis);
    const onAbort = () => finish({ error: new ParseError('aborted') });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    const onMessage = (reply: ParseReply | WorkerReady) => {
      if ('ready' in reply) return; // a fresh process's hello, handled by child.ready
      if (!reply.ok) return finish({ error: new ParseError(reply.code, reply.detail) });
      let result: ParseResult;
      try {
        result = unpackResult(reply.result);
      } catch {
        return finish({ error: new ParseError('corrupt', 'malformed parse result') });
      }
      finish({ result });
    };
    proc.on('message', onMessage);
    proc.once('exit', (code, signal) => finish({ error: exitError(code, signal, overMemory) }));
    child.ready.then(
      () => {
        if (settled) return;
        proc.send(job);
        // The plaintext goes over the pipe (P1: never a file); the caller's buffer is not touched.
        proc.stdin?.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
      () => finish({ error: exitError(proc.exitCode, proc.signalCode, overMemory) }),
    );
  });
}
