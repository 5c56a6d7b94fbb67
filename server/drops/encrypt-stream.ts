import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as NodeWebReadable } from 'node:stream/web';
import * as openpgp from 'openpgp';
import { openThreadStream, type ThreadStream } from './encrypt-thread.js';
import { startMessage } from './seipd-message.js';
import { SeipdV1Writer } from './seipd-writer.js';

/**
 * P1 for clients without JavaScript: a plain upload is encrypted to the office
 * public key while the bytes arrive, so the only thing that ever reaches a
 * disk or a bucket is ciphertext. The plaintext exists only in small buffers
 * in memory on its way through.
 *
 * openpgp.js streams are Web streams; the bridge below pulls one chunk from
 * the Node stream each time openpgp.js asks for one, so backpressure holds end
 * to end (a slow disk slows the upload instead of growing memory).
 * Readable.toWeb is not used: on Node 20 its default queueing counts chunks,
 * not bytes, and can buffer far ahead.
 */

/** GnuPG 2.2 interop (toolchain.md): SEIPD v1, no AEAD, no compression (nothing to decompress at ingest). */
const ENCRYPT_CONFIG: openpgp.PartialConfig = {
  aeadProtect: false,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
};

/**
 * Chunks handed to openpgp.js. It does fixed work per chunk (a CFB update,
 * a SHA-1 update for the MDC, a partial-length packet header, several Web
 * stream hand-offs and Uint8Array concatenations), and busboy delivers file
 * data in socket-sized pieces (often 16–64 KiB): gathering 1 MiB first made
 * the encryption ≈ 1.4× faster in a profile (bench/README.md, Uploads).
 * One such buffer per file in flight; copying into it is cheap next to AES.
 */
export const ENCRYPT_CHUNK_BYTES = 1024 * 1024;

export function pullWebStream(source: Readable, chunkBytes = ENCRYPT_CHUNK_BYTES): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const parts: Buffer[] = [];
        let size = 0;
        while (!ended && size < chunkBytes) {
          const r = await it.next();
          if (r.done) ended = true;
          else {
            parts.push(r.value);
            size += r.value.length;
          }
        }
        if (size > 0) {
          const b = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
          controller.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        }
        if (ended) controller.close();
      },
      async cancel(reason) {
        source.destroy(reason instanceof Error ? reason : undefined);
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * How a plain upload is encrypted (env KINKO_UPLOAD_ENCRYPT, config.ts):
 * 'thread' — seipd-writer.ts on an encryption thread, overlapped with the
 * receive (the default); 'inline' — the same writer on the main thread (also
 * the fallback when no thread can be had); 'openpgpjs' — openpgp.js's own
 * streaming encrypt, the former path, kept so the bench can compare.
 * All three write SEIPD v1 messages with the same packets.
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

async function* inline(head: Buffer, plain: Readable, writer: SeipdV1Writer): AsyncGenerator<Buffer> {
  yield head;
  for await (const c of plain as AsyncIterable<Buffer>) for (const b of writer.write(c)) yield b;
  for (const b of writer.end()) yield b;
}

async function* onThread(head: Buffer, plain: Readable, thread: ThreadStream): AsyncGenerator<Buffer> {
  yield head;
  const inFlight: Promise<Buffer>[] = [];
  const send = (p: Promise<Buffer>) => {
    // Awaited in order below; until then a failure must not count as unhandled.
    p.catch(() => {});
    inFlight.push(p);
  };
  let stage = new ArrayBuffer(ENCRYPT_CHUNK_BYTES);
  let view = Buffer.from(stage);
  let filled = 0;
  try {
    for await (const c of plain as AsyncIterable<Buffer>) {
      for (let at = 0; at < c.length; ) {
        const n = Math.min(c.length - at, ENCRYPT_CHUNK_BYTES - filled);
        c.copy(view, filled, at, at + n);
        filled += n;
        at += n;
        if (filled < ENCRYPT_CHUNK_BYTES) continue;
        send(thread.write(stage, filled));
        stage = new ArrayBuffer(ENCRYPT_CHUNK_BYTES);
        view = Buffer.from(stage);
        filled = 0;
        if (inFlight.length >= THREAD_WINDOW) {
          const out = await inFlight.shift()!;
          if (out.length) yield out;
        }
      }
    }
    if (filled > 0) send(thread.write(stage, filled));
    send(thread.end());
    while (inFlight.length) {
      const out = await inFlight.shift()!;
      if (out.length) yield out;
    }
  } finally {
    thread.close();
  }
}

/** The former path: openpgp.js's streaming encrypt (SEIPD v1 with the config below). */
async function encryptWithOpenPgpJs(plain: Readable, key: openpgp.PublicKey): Promise<Readable> {
  const message = await openpgp.createMessage({ binary: pullWebStream(plain), format: 'binary' });
  const encrypted = await openpgp.encrypt({ message, encryptionKeys: key, format: 'binary', config: ENCRYPT_CONFIG });
  return Readable.fromWeb(encrypted as unknown as NodeWebReadable<Uint8Array>, { highWaterMark: 1 << 16 });
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
