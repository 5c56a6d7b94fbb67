import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as openpgp from 'openpgp';
import { AppError } from '../http/errors.js';

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

export async function decryptDrop(ciphertext: Readable, key: openpgp.PrivateKey, maxBytes: number): Promise<Buffer> {
  const config: openpgp.PartialConfig = { maxDecompressedMessageSize: maxBytes, allowUnauthenticatedStream: false };
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
    if (e instanceof DropDecryptError) throw e;
    const msg = e instanceof Error ? e.message : '';
    if (/decompressed|too large|maxDecompressed/i.test(msg)) throw new DropDecryptError('tooBig', 'decompression cap');
    throw new DropDecryptError('corruptMessage', e instanceof Error ? e.name : 'decrypt failed');
  }
  const out = Buffer.concat(chunks, size);
  for (const c of chunks) c.fill(0);
  return out;
}
