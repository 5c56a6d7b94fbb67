import { Readable } from 'node:stream';

/**
 * Reads the first `want` bytes of a stream (fewer if it ends first) so the
 * file can be classified before anything is stored, and returns a stream that
 * replays those bytes followed by the rest. The head stays in memory only.
 */
export async function splitHead(source: Readable, want: number): Promise<{ head: Buffer; ended: boolean; whole: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let n = 0;
  let ended = false;
  while (n < want) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    n += r.value.length;
  }
  const first = Buffer.concat(chunks, n);
  async function* replay(): AsyncGenerator<Buffer> {
    let finished = ended;
    try {
      if (first.length) yield first;
      while (!finished) {
        const r = await it.next();
        if (r.done) finished = true;
        else yield r.value;
      }
    } finally {
      // Consumer gave up (abort, error downstream): stop the source too.
      if (!finished) await it.return?.();
    }
  }
  return { head: first.subarray(0, want), ended, whole: Readable.from(replay(), { objectMode: false, highWaterMark: 1 << 16 }) };
}
