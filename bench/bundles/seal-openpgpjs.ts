import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import * as openpgp from 'openpgp';
import { fileEntry, type BundleFile, type Recipient } from '../../server/bundles/seal/seal.js';

/**
 * The 本人交付 bundle's seal as it was before kinko's packet writer
 * (server/bundles/seal/seal-stream.ts up to the sealfast branch): the same
 * zip streamed into openpgp.js's streaming sign+encrypt. Kept only so that
 * bench/bundles/seal-only.mts can compare the two over the same bytes.
 */
const GATHER = 1 << 20;
/** Zip bytes that may wait for the encryption before the next file is made. */
const QUEUED = 8 << 20;
const CONFIG: openpgp.PartialConfig = { aeadProtect: false, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed };

export interface StreamSealed {
  readonly size: number;
  readonly sha256: string;
  readonly manifestFiles: ReturnType<typeof fileEntry>[];
}

export async function sealStreamedOpenpgpjs(
  files: AsyncIterable<BundleFile>,
  archiveName: string,
  signingKey: openpgp.PrivateKey,
  to: Recipient,
  manifestOf: (files: ReturnType<typeof fileEntry>[]) => Uint8Array,
  put: (ciphertext: Readable) => Promise<void>,
): Promise<StreamSealed> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulled: (() => void) | undefined;
  const plain = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        pulled?.();
        pulled = undefined;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: QUEUED }),
  );
  const push = (c: Uint8Array) => controller.enqueue(c);
  const finish = () => controller.close();
  const fail = (e: unknown) => controller.error(e);
  /** Waits while more than QUEUED bytes of zip wait for the encryption: the next PDF is made only when there is room. */
  let broken = false;
  const room = async () => {
    while (!broken && (controller.desiredSize ?? 1) <= 0) await new Promise<void>((r) => (pulled = r));
  };
  // The zip's output comes in many small pieces (a header, a file, a descriptor each); openpgp.js pays
  // per piece, so they are passed on gathered into pieces of about 1 MiB.
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const flush = () => {
    if (heldBytes === 0) return;
    push(held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, heldBytes));
    held = [];
    heldBytes = 0;
  };
  const zip = new Zip((err, chunk, final) => {
    if (err) return fail(err);
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes >= GATHER) flush();
    if (final) {
      flush();
      finish();
    }
  });
  const message = await openpgp.createMessage({ binary: plain, filename: archiveName, format: 'binary' });
  const encrypted = (await openpgp.encrypt({
    message, signingKeys: signingKey, ...(to.kind === 'client-key' ? { encryptionKeys: to.publicKey } : { passwords: [to.passphrase] }), format: 'binary', config: CONFIG,
  })) as unknown as ReadableStream<Uint8Array>;
  const hash = createHash('sha256');
  let size = 0;
  const out = Readable.fromWeb(encrypted as never).map((c: Uint8Array) => {
    hash.update(c);
    size += c.length;
    return c;
  });
  const stored = put(out);
  // A store or encryption that fails stops the files' loop rather than leave it waiting for room.
  stored.catch(() => {
    broken = true;
    pulled?.();
  });
  const entries: ReturnType<typeof fileEntry>[] = [];
  const add = (name: string, bytes: Uint8Array) => {
    const e = new ZipPassThrough(name);
    e.mtime = new Date('2000-01-01T00:00:00Z');
    zip.add(e);
    e.push(bytes, true);
  };
  try {
    for await (const f of files) {
      entries.push(fileEntry(f));
      // Not zeroed here: the zip hands these very bytes on to the encryption (and this bundle holds no number).
      add(f.name, f.bytes);
      // Let the encryption take what was zipped before the next file is made.
      await room();
      if (broken) break;
    }
    if (!broken) {
      add('manifest.json', manifestOf(entries));
      zip.end();
    }
  } catch (err) {
    fail(err);
    await stored.catch(() => undefined);
    throw err;
  }
  await stored;
  return { size, sha256: hash.digest('hex'), manifestFiles: entries };
}
