import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as openpgp from 'openpgp';
import { AppError } from '../http/errors.js';
import { decryptInProcess } from './decrypt-process.js';

/**
 * Decrypts one stored drop into memory (P1: the plaintext never touches a
 * disk). The ciphertext streams from storage into openpgp.js; the plaintext
 * is collected in memory up to `maxBytes` and not one byte further.
 *
 * Threats: a compression bomb (a small message that inflates without end) —
 * stopped by openpgp's `maxDecompressedMessageSize` and by our own count as
 * the plaintext arrives; a damaged or tampered message — openpgp checks the
 * integrity tag (MDC/AEAD) before releasing data (no unauthenticated
 * streaming), and every failure becomes one plain message without quoting
 * the library's text, which could echo packet contents.
 */
export class DropDecryptError extends AppError {
  constructor(
    readonly code: 'corruptMessage' | 'tooBig' | 'notForOfficeKey',
    readonly detail?: string,
  ) {
    super(422, `ingestFlow.errors.${code}`);
  }
}

/**
 * Drops up to this size are decrypted on the main thread (≈ 30 ms at most;
 * a process costs more than that to start); larger ones in a process of
 * their own (decrypt-process.ts), so the web tier keeps answering and the
 * server's memory stays small (issue 12 item 10).
 */
export const OFF_THREAD_BYTES = 2 * 1024 * 1024;
/** Where the session-key packets must end (one per recipient, ~100–600 bytes each). */
const FRAMING_BYTES = 64 * 1024;
/** Ciphertext beyond the plaintext cap: OpenPGP framing, session-key packets, the integrity tag. */
const CIPHERTEXT_OVERHEAD = 1024 * 1024;

function failed(e: unknown): DropDecryptError {
  if (e instanceof DropDecryptError) return e;
  const msg = e instanceof Error ? e.message : '';
  if (/decompressed|too large|maxDecompressed/i.test(msg)) return new DropDecryptError('tooBig', 'decompression cap');
  return new DropDecryptError('corruptMessage', e instanceof Error ? e.name : 'decrypt failed');
}

/** The stored ciphertext in one buffer: of `expected` bytes (the drop's recorded size) allocated once, else gathered. */
async function collectCiphertext(input: Readable, maxBytes: number, expected?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const into = expected !== undefined && expected <= maxBytes ? Buffer.allocUnsafeSlow(expected) : undefined;
  for await (const chunk of input) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    if (size + buf.length > maxBytes || (into && size + buf.length > into.length)) {
      input.destroy();
      throw new DropDecryptError(into ? 'corruptMessage' : 'tooBig', into ? 'stored object larger than recorded' : 'ciphertext over the size limit');
    }
    if (into) buf.copy(into, size);
    else chunks.push(buf);
    size += buf.length;
  }
  if (into) return size === into.length ? into : into.subarray(0, size);
  return Buffer.concat(chunks, size);
}

async function readFraming(ciphertext: Readable, config: openpgp.PartialConfig, key: openpgp.PrivateKey): Promise<openpgp.Message<WebReadableStream<Uint8Array>>> {
  let message: openpgp.Message<WebReadableStream<Uint8Array>>;
  try {
    message = await openpgp.readMessage({ binaryMessage: Readable.toWeb(ciphertext) as unknown as WebReadableStream<Uint8Array>, config });
  } catch {
    ciphertext.destroy();
    throw new DropDecryptError('corruptMessage', 'not an OpenPGP message');
  }
  const wanted = new Set(message.getEncryptionKeyIDs().map((k) => k.toHex()));
  const ours = key.getKeys().map((k) => k.getKeyID().toHex());
  if (wanted.size > 0 && !ours.some((id) => wanted.has(id))) {
    ciphertext.destroy();
    throw new DropDecryptError('notForOfficeKey', 'no session key for the office key');
  }
  return message;
}

export async function decryptDrop(ciphertext: Readable, key: openpgp.PrivateKey, maxBytes: number, storedBytes?: number): Promise<Buffer> {
  const config: openpgp.PartialConfig = { maxDecompressedMessageSize: maxBytes, allowUnauthenticatedStream: false };
  const cipher = await collectCiphertext(ciphertext, maxBytes + CIPHERTEXT_OVERHEAD, storedBytes);
  if (cipher.length <= OFF_THREAD_BYTES) return decryptHere(Readable.from([cipher]), key, maxBytes, config);
  // Main thread: only the packets before the encrypted data are read, and the session key opened with the office key (P4: the key never leaves this thread).
  // Only a prefix: the session-key packets come first, and the bulk must not be buffered (or copied) on this thread.
  const message = await readFraming(Readable.from([cipher.subarray(0, FRAMING_BYTES)]), config, key);
  let sessionKey: openpgp.SessionKey;
  try {
    [sessionKey] = (await openpgp.decryptSessionKeys({ message, decryptionKeys: key, config })) as [openpgp.SessionKey];
  } catch (e) {
    throw failed(e);
  }
  const reply = await decryptInProcess(cipher, sessionKey, maxBytes);
  sessionKey.data.fill(0);
  if (!reply.ok) throw new DropDecryptError(reply.code, reply.detail);
  return reply.plaintext;
}

async function decryptHere(ciphertext: Readable, key: openpgp.PrivateKey, maxBytes: number, config: openpgp.PartialConfig): Promise<Buffer> {
  const message = await readFraming(ciphertext, config, key);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary', config });
    for await (const chunk of Readable.fromWeb(data as unknown as WebReadableStream<Uint8Array>)) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > maxBytes) throw new DropDecryptError('tooBig', 'plaintext over the size limit');
      chunks.push(buf);
    }
  } catch (e) {
    for (const c of chunks) c.fill(0);
    ciphertext.destroy();
    throw failed(e);
  }
  const out = Buffer.concat(chunks, size);
  for (const c of chunks) c.fill(0);
  return out;
}
