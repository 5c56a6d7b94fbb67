import { parentPort, workerData } from 'node:worker_threads';
import { isParseErrorCode, ParseError } from '../parse/errors.js';
import { parseBytes, type ParseDeps } from '../parse/parse-bytes.js';
import type { ParseJob, ParseReply } from './protocol.js';

/**
 * Body of the parse worker: one job per thread, one reply, then the main
 * thread terminates it. Whatever goes wrong in here — a hostile file, a bug,
 * running out of memory — stays in this thread.
 */
function failure(e: unknown): ParseReply {
  if (e instanceof ParseError) return { ok: false, code: e.code, detail: e.detail };
  if (e instanceof RangeError) return { ok: false, code: 'tooBig', detail: 'RangeError' };
  // An unexpected error's message may quote the file: send only its kind.
  const name = e instanceof Error ? e.name : typeof e;
  const code = (e as { code?: unknown } | null)?.code;
  return { ok: false, code: isParseErrorCode(code) ? code : 'corrupt', detail: `unexpected ${name}` };
}

export async function run(deps: ParseDeps): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parse-worker runs only as a worker thread');
  const job = workerData as ParseJob;
  let reply: ParseReply;
  try {
    const result = await parseBytes(new Uint8Array(job.bytes), job.limits, { columnChoices: job.columnChoices }, deps);
    reply = { ok: true, result };
  } catch (e) {
    reply = failure(e);
  }
  port.postMessage(reply);
}
