import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import * as openpgp from 'openpgp';
import { fileEntry, type BundleFile, type Recipient } from './seal.js';

/**
 * sealBundle for a bundle too large to hold twice in memory (the 本人交付
 * bundle of 10,000 employees: a PDF each): the files come one at a time, go
 * into the zip as they come (stored, not compressed), the zip streams into
 * one OpenPGP message — signed with the office key, encrypted as sealBundle
 * does (openpgp.js streams both) — and the ciphertext streams to `put`.
 * Only about one file is in memory at a time. The
 * manifest, which lists every file's size and SHA-256, is the last entry.
 */
const CONFIG: openpgp.PartialConfig = { aeadProtect: false, preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed };

export interface StreamSealed {
  readonly size: number;
  readonly sha256: string;
  readonly manifestFiles: ReturnType<typeof fileEntry>[];
}

export async function sealStreamed(
  files: AsyncIterable<BundleFile>,
  archiveName: string,
  signingKey: openpgp.PrivateKey,
  to: Recipient,
  manifestOf: (files: ReturnType<typeof fileEntry>[]) => Uint8Array,
  put: (ciphertext: Readable) => Promise<void>,
): Promise<StreamSealed> {
  let push!: (chunk: Uint8Array) => void;
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const plain = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (c) => controller.enqueue(c);
      finish = () => controller.close();
      fail = (e) => controller.error(e);
    },
  });
  const zip = new Zip((err, chunk, final) => {
    if (err) return fail(err);
    push(chunk);
    if (final) finish();
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
      await new Promise((r) => setImmediate(r));
    }
    add('manifest.json', manifestOf(entries));
    zip.end();
  } catch (err) {
    fail(err);
    await stored.catch(() => undefined);
    throw err;
  }
  await stored;
  return { size, sha256: hash.digest('hex'), manifestFiles: entries };
}
