import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { isParseErrorCode, ParseError } from '../parse/errors.js';
import { parseBytes, type ParseDeps } from '../parse/parse-bytes.js';
import { packResult } from './pack.js';
import type { ParseJob, ParseReply, WorkerReady, WorkerStart } from './protocol.js';
import { warmUp } from './warm-up.js';

/**
 * Body of the parse worker: one job per thread, one reply, then the main
 * thread terminates it. Whatever goes wrong in here — a hostile file, a bug,
 * running out of memory — stays in this thread. A spare (pool.ts) loads and
 * warms up first, holding no data, and takes its job as a message.
 */
function failure(e: unknown): ParseReply {
  if (e instanceof ParseError) return { ok: false, code: e.code, detail: e.detail };
  if (e instanceof RangeError) return { ok: false, code: 'tooBig', detail: 'RangeError' };
  // An unexpected error's message may quote the file: send only its kind.
  const name = e instanceof Error ? e.name : typeof e;
  const code = (e as { code?: unknown } | null)?.code;
  return { ok: false, code: isParseErrorCode(code) ? code : 'corrupt', detail: `unexpected ${name}` };
}

async function answer(port: MessagePort, job: ParseJob, deps: ParseDeps): Promise<void> {
  let reply: ParseReply;
  try {
    const result = await parseBytes(new Uint8Array(job.bytes), job.limits, { columnChoices: job.columnChoices }, deps);
    reply = { ok: true, result: packResult(result) };
  } catch (e) {
    reply = failure(e);
  }
  port.postMessage(reply);
  // One job per thread: end it now, so its heap (with the plaintext) is released while the main
  // thread reads the answer (which is delivered before the thread's 'exit'; the main thread terminates it too).
  process.exit(0);
}

export async function run(deps: ParseDeps): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parse-worker runs only as a worker thread');
  const start = (workerData ?? { warmUp: false }) as WorkerStart;
  if (start.warmUp) {
    try {
      await warmUp(deps);
    } catch {
      /* a warm-up is only an optimisation */
    }
    port.postMessage({ ready: true } satisfies WorkerReady);
  }
  port.once('message', (job: ParseJob) => void answer(port, job, deps));
}
