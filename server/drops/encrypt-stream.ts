import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type * as openpgp from 'openpgp';
import { encryptWithOpenPgpJs } from './encrypt-openpgpjs.js';
import { openThreadStream, type ThreadReply, type ThreadStream } from './encrypt-thread.js';
import { startMessage } from '../lib/seipd-message.js';
import { FIRST_CHUNK_BYTES, PART_BYTES, SeipdV1Writer } from '../lib/seipd-writer.js';

/**
 * P1 for clients without JavaScript: a plain upload is encrypted to the office
 * public key while the bytes arrive, so the only thing that ever reaches a
 * disk or a bucket is ciphertext. The plaintext exists only in small buffers
 * in memory on its way through.
 *
 * The message is openpgp.js's session-key packet (seipd-message.ts) followed
 * by kinko's SEIPD v1 packet (seipd-writer.ts), written on an encryption
 * thread (encrypt-thread.ts) so that the cipher runs on another core while
 * this thread receives and stores. openpgp.js's streaming encrypt of the
 * same packets (encrypt-openpgpjs.ts, the former path) took several times the
 * CPU on one thread (bench/README.md, Uploads).
 * Backpressure holds end to end: the next chunk is read only when the store
 * has taken the last ones (a slow disk slows the upload instead of growing
 * memory), with at most THREAD_WINDOW chunks at the thread.
 */

/**
 * Plaintext is encrypted in chunks of this size (one literal part, 1 MiB). busboy delivers file data
 * in socket-sized pieces (often a few KiB to 64 KiB); per piece there would
 * be a cipher call, a hash call, a message to the thread and a write.
 * A few such buffers per file in flight; copying into them is cheap next to AES.
 */
export const ENCRYPT_CHUNK_BYTES = PART_BYTES;

/**
 * How a plain upload is encrypted (env KINKO_UPLOAD_ENCRYPT, config.ts):
 * 'thread' — seipd-writer.ts on an encryption thread, overlapped with the
 * receive (the default); 'inline' — the same writer on the main thread (also
 * the fallback when no thread can be had); 'openpgpjs' — openpgp.js's own
 * streaming encrypt, the former path, kept so the bench can compare.
 * For the office key all three write the same packets (SEIPD v1); openpgp.js
 * alone would switch to v2 for a key that advertises it.
 */
export type EncryptMode = 'thread' | 'inline' | 'openpgpjs';

/** Plaintext chunks in flight to the thread per upload: it encrypts the next while this thread stores the last. */
const THREAD_WINDOW = 3;

/** The ciphertext of `plain`, encrypted to `key` as it flows (binary OpenPGP message). */
export async function encryptToOffice(plain: Readable, key: openpgp.PublicKey, mode: EncryptMode = 'thread'): Promise<Readable> {
  if (mode === 'openpgpjs') return encryptWithOpenPgpJs(plain, key);
  const start = await startMessage(key);
  let chunks: AsyncGenerator<Buffer>;
  let thread: ThreadStream | null = null;
  try {
    thread = mode === 'thread' ? await openThreadStream(start.algorithm, start.sessionKey, start.date) : null;
    chunks = thread ? onThread(start.head, plain, thread) : inline(start.head, plain, new SeipdV1Writer(start.algorithm, start.sessionKey, start.date));
  } finally {
    start.sessionKey.fill(0);
  }
  const out = Readable.from(chunks, { objectMode: false, highWaterMark: 1 });
  // A stream destroyed before its first read never runs the generator (nor its finally): free the thread's writer here too.
  if (thread) out.once('close', () => thread.close());
  return out;
}

/**
 * Chunk memory of one upload, reused: a chunk the writer has encrypted whole
 * comes back here (from the thread, transferred back) instead of a fresh
 * 1 MiB allocation for every MiB received. At most THREAD_WINDOW + 1 spare
 * chunks, freed with the upload.
 */
class ChunkPool {
  private readonly free: ArrayBuffer[] = [];

  take(): Buffer {
    const ab = this.free.pop();
    // allocUnsafeSlow: memory of its own (never the shared pool, so it may be transferred), not zero-filled first (every byte used is written first).
    return ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(ENCRYPT_CHUNK_BYTES);
  }

  give(ab: ArrayBuffer | undefined): void {
    if (ab && ab.byteLength === ENCRYPT_CHUNK_BYTES && this.free.length <= THREAD_WINDOW) this.free.push(ab);
  }
}

/**
 * `plain` regathered into chunks that fill the writer's literal parts exactly
 * (FIRST_CHUNK_BYTES, then ENCRYPT_CHUNK_BYTES each; the last shorter), each
 * in memory of its own so it can be transferred to a thread and reused.
 * busboy hands over socket-sized pieces, often a few KiB: per piece the
 * writer would pay a cipher and a hash call and the store a write.
 */
async function* gathered(plain: Readable, pool: ChunkPool): AsyncGenerator<Buffer> {
  let stage = pool.take();
  let want = FIRST_CHUNK_BYTES;
  let filled = 0;
  for await (const c of plain as AsyncIterable<Buffer>) {
    for (let at = 0; at < c.length; ) {
      const n = Math.min(c.length - at, want - filled);
      c.copy(stage, filled, at, at + n);
      filled += n;
      at += n;
      if (filled < want) continue;
      yield stage.subarray(0, want);
      stage = pool.take();
      want = ENCRYPT_CHUNK_BYTES;
      filled = 0;
    }
  }
  if (filled > 0) yield stage.subarray(0, filled);
}

async function* inline(head: Buffer, plain: Readable, writer: SeipdV1Writer): AsyncGenerator<Buffer> {
  yield head;
  const pool = new ChunkPool();
  for await (const chunk of gathered(plain, pool)) {
    const out = writer.write(chunk);
    if (!writer.holdsInput) pool.give(chunk.buffer as ArrayBuffer);
    yield* out;
  }
  yield* writer.end();
}

async function* onThread(head: Buffer, plain: Readable, thread: ThreadStream): AsyncGenerator<Buffer> {
  yield head;
  const pool = new ChunkPool();
  const inFlight: Promise<ThreadReply>[] = [];
  const send = (p: Promise<ThreadReply>) => {
    // Awaited in order below; until then a failure must not count as unhandled.
    p.catch(() => {});
    inFlight.push(p);
  };
  try {
    for await (const chunk of gathered(plain, pool)) {
      send(thread.write(chunk.buffer as ArrayBuffer, chunk.length));
      if (inFlight.length < THREAD_WINDOW) continue;
      const { out, back } = await inFlight.shift()!;
      pool.give(back);
      if (out.length) yield out;
    }
    send(thread.end());
    while (inFlight.length) {
      const { out } = await inFlight.shift()!;
      if (out.length) yield out;
    }
  } finally {
    thread.close();
  }
}

/** Pass-through that counts bytes and computes SHA-256 of exactly what is stored. */
export class DigestCounter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private hex: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    cb();
  }

  /** Hex SHA-256; only after the stream finished. */
  get sha256(): string {
    if (this.hex === undefined) throw new Error('digest read before the stream finished');
    return this.hex;
  }
}
