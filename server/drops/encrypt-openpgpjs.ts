import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadable } from 'node:stream/web';
import * as openpgp from 'openpgp';

/**
 * The former encryption of plain uploads, kept for comparison
 * (KINKO_UPLOAD_ENCRYPT=openpgpjs, bench/upload): openpgp.js's own streaming
 * encrypt. Same packets as seipd-writer.ts writes (SEIPD v1, MDC, one literal
 * packet, no compression), at several times the CPU (bench/README.md, Uploads).
 *
 * openpgp.js streams are Web streams; the bridge below pulls one chunk from
 * the Node stream each time openpgp.js asks for one, so backpressure holds end
 * to end. Readable.toWeb is not used: on Node 20 its default queueing counts
 * chunks, not bytes, and can buffer far ahead. Gathering 1 MiB per chunk made
 * openpgp.js ≈ 1.4× faster than busboy's socket-sized pieces.
 */

const CHUNK_BYTES = 1024 * 1024;

/** GnuPG 2.2 interop (toolchain.md): SEIPD v1, no AEAD, no compression (nothing to decompress at ingest). */
const ENCRYPT_CONFIG: openpgp.PartialConfig = {
  aeadProtect: false,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
};

function pullWebStream(source: Readable, chunkBytes = CHUNK_BYTES): ReadableStream<Uint8Array> {
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

/** The former path: openpgp.js's streaming encrypt (SEIPD v1 with the config below). */
export async function encryptWithOpenPgpJs(plain: Readable, key: openpgp.PublicKey): Promise<Readable> {
  const message = await openpgp.createMessage({ binary: pullWebStream(plain), format: 'binary' });
  const encrypted = await openpgp.encrypt({ message, encryptionKeys: key, format: 'binary', config: ENCRYPT_CONFIG });
  return Readable.fromWeb(encrypted as unknown as NodeWebReadable<Uint8Array>, { highWaterMark: 1 << 16 });
}

