import { isParseErrorCode, ParseError } from '../parse/errors.js';
import { parseBytes, type ParseDeps } from '../parse/parse-bytes.js';
import { packResult } from './pack.js';
import type { ParseJob, ParseReply, WorkerReady } from './protocol.js';
import { warmUp } from './warm-up.js';

/**
 * Body of a parse process (child-process.ts): one job per process, one
 * reply, then it exits. Whatever goes wrong in here — a hostile file, a bug,
 * running out of memory, a V8 abort — ends this process and nothing else.
 * A spare (pool.ts) loads and warms up first, holding no data, and takes its
 * job as a message; the file follows on stdin.
 */
function failure(e: unknown): ParseReply {
  if (e instanceof ParseError) return { ok: false, code: e.code, detail: e.detail };
  if (e instanceof RangeError) return { ok: false, code: 'tooBig', detail: 'RangeError' };
  // An unexpected error's message may quote the file: send only its kind.
  const name = e instanceof Error ? e.name : typeof e;
  const code = (e as { code?: unknown } | null)?.code;
  return { ok: false, code: isParseErrorCode(code) ? code : 'corrupt', detail: `unexpected ${name}` };
}

/** Exactly `size` bytes from stdin, into one buffer allocated up front (more is refused: the parent said how many). */
async function readInput(size: number): Promise<Buffer> {
  const bytes = Buffer.alloc(size);
  let at = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    if (at + chunk.length > size) throw new ParseError('corrupt', 'more input than announced');
    chunk.copy(bytes, at);
    at += chunk.length;
  }
  if (at !== size) throw new ParseError('corrupt', 'input ended early');
  return bytes;
}

async function answer(job: ParseJob, deps: ParseDeps): Promise<void> {
  let reply: ParseReply;
  try {
    const bytes = await readInput(job.size);
    const result = await parseBytes(bytes, job.limits, { columnChoices: job.columnChoices }, deps);
    reply = { ok: true, result: packResult(result) };
  } catch (e) {
    reply = failure(e);
  }
  // One job per process: end once the answer is handed to the channel (the parent kills it too).
  process.send!(reply, () => process.exit(0));
}

export async function run(deps: ParseDeps, warm: boolean): Promise<void> {
  if (!process.send) throw new Error('parse-worker runs only in a parse process');
  if (warm) {
    try {
      await warmUp(deps);
    } catch {
      /* a warm-up is only an optimisation */
    }
  }
  process.once('message', (job: ParseJob) => void answer(job, deps));
  process.send({ ready: true } satisfies WorkerReady);
}
