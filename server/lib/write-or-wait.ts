import type { Writable } from 'node:stream';

/**
 * Writes a chunk of a streamed download and, when the socket's buffer is
 * full, waits until the client has taken it (backpressure), so a report over
 * a long history holds one page in memory, not the whole file. False when
 * the client has gone: the caller stops reading the database.
 */
export async function writeOrWait(out: Writable, chunk: string, gone: () => boolean): Promise<boolean> {
  if (gone() || out.destroyed) return false;
  if (out.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
  return !(gone() || out.destroyed);
}
