import { setMaxListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Limits } from '../config.js';
import type { StorageAdapter } from '../../storage-adapters/types.js';
import { DigestCounter, encryptToOffice, type EncryptMode } from './encrypt-stream.js';
import { ClientGone, UploadMalformed, UploadRefusedType, UploadTooLarge } from './errors.js';
import { splitHead } from './file-head.js';
import { cleanFileName } from './file-name.js';
import type { OfficeRecipient } from './office-recipient.js';
import { OpenPgpFraming, sniffOpenPgp } from './openpgp-sniff.js';
import { checkPlainType } from './plain-type.js';
import { formatMiB } from '../lib/bytes.js';

/**
 * Streams every file of one multipart request into the drops location, and
 * nothing else. Per file: read a small head (memory only) → classify it
 * (OpenPGP message to the office key, or an allowed plain type) → encrypt a
 * plain file to the office key as it flows (P1) → SHA-256 + byte count of the
 * stored ciphertext → storage put under a random key, create-only.
 *
 * All-or-nothing per request: on any failure — a file over the limit, a
 * refused type, malformed multipart, the client going away — every put of
 * the request is aborted through one AbortSignal and whatever was already
 * stored is deleted before the error is thrown. The storage adapters remove
 * their own temp files and incomplete uploads on abort.
 *
 * Multipart is parsed by busboy directly (not multer, which would buffer to
 * disk or memory): every limit is finite; `defParamCharset: 'utf8'` keeps
 * Japanese file names intact; the Content-Type of each part is ignored.
 */

export type DropKind = 'client-encrypted' | 'server-encrypted';

export interface StoredUpload {
  storedKey: string;
  fileName: string;
  size: number;
  sha256: string;
  kind: DropKind;
}

export interface ReceiveOptions {
  storage: StorageAdapter;
  recipient: OfficeRecipient;
  limits: Limits['upload'];
  /** A fresh random storage key. */
  newKey: () => string;
  /** How plain files are encrypted (config.uploadEncrypt); the encryption thread by default. */
  encrypt?: EncryptMode;
}

/** Enough for file-type to see a workbook's first zip entries and for every session-key packet of a message. */
export const HEAD_BYTES = 64 * 1024;
/**
 * Header lines per part. busboy 1.6 bounds multipart part headers itself
 * (16 KiB, 2000 pairs → "Malformed part header" → 400) and ignores this value;
 * it is passed so that the bound stays finite should a later busboy honour it.
 * Not in config.limits.upload yet (owned by the config module).
 */
const MAX_PART_HEADER_PAIRS = 100;

export async function receiveFiles(headers: IncomingHttpHeaders, body: Readable & { complete?: boolean }, opts: ReceiveOptions): Promise<StoredUpload[]> {
  const { limits } = opts;
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers,
      defParamCharset: 'utf8',
      preservePath: false,
      limits: {
        // busboy reports 'limit' when a file *reaches* fileSize; +1 lets a
        // file of exactly maxFileBytes through and stops one byte more.
        fileSize: limits.maxFileBytes + 1,
        files: limits.maxFilesPerRequest,
        fields: limits.maxFields,
        fieldSize: limits.maxFieldBytes,
        parts: limits.maxParts,
        headerPairs: MAX_PART_HEADER_PAIRS,
      },
    });
  } catch {
    // Not multipart/form-data, or no boundary.
    throw new UploadMalformed('drops.errors.notMultipart');
  }

  const abort = new AbortController();
  // Every put of the request (up to maxFilesPerRequest, a few listeners each) watches this one signal.
  setMaxListeners(limits.maxFilesPerRequest * 4 + 10, abort.signal);
  const results: Array<StoredUpload | undefined> = [];
  const tasks: Promise<void>[] = [];
  const attemptedKeys: string[] = [];
  let failure: Error | undefined;

  const fail = (err: Error) => {
    if (failure) return;
    // Recorded at once (later parts are ignored from here on); the teardown
    // runs on the next tick because fail() is often called from inside
    // busboy's own parsing callbacks, which must not see busboy destroyed
    // under them.
    failure = err;
    process.nextTick(() => {
      abort.abort(err);
      body.unpipe(bb);
      // Stop reading: the rest of the body waits in the socket (TCP
      // backpressure holds the client) instead of being read without bound
      // while the request cleans up. After the error response is written,
      // the route drains a bounded amount so the client can read the answer
      // (upload-response.ts), then cuts the connection.
      body.pause();
      // Also ends the file stream being read, so no consumer waits forever.
      bb.destroy();
    });
  };

  bb.on('file', (field: string | undefined, file: Readable & { truncated?: boolean }, info: busboy.FileInfo) => {
    // Destroying busboy destroys the file stream with an error; a stream that
    // nobody reads (refused part) must not turn that into a process crash.
    // Readers still see the error through their own iterator.
    file.on('error', () => {});
    if (failure) {
      file.resume();
      return;
    }
    if (!field) {
      // A file part without a field name: not something a form or curl -F sends.
      file.resume();
      fail(new UploadMalformed('drops.errors.malformed'));
      return;
    }
    // Threat: silent truncation — busboy cuts a file at the limit and ends it
    // normally. The limit aborts the whole request instead, before the end.
    file.once('limit', () => fail(new UploadTooLarge('drops.errors.fileTooLarge', { max: formatMiB(limits.maxFileBytes) })));
    const index = results.length;
    results.push(undefined);
    tasks.push(
      storeOne(file, info, opts, abort.signal, attemptedKeys).then(
        (stored) => {
          results[index] = stored;
        },
        (err: Error) => fail(err),
      ),
    );
  });
  bb.once('filesLimit', () => fail(new UploadTooLarge('drops.errors.tooManyFiles', { max: limits.maxFilesPerRequest })));
  bb.once('fieldsLimit', () => fail(new UploadTooLarge('drops.errors.tooManyParts')));
  bb.once('partsLimit', () => fail(new UploadTooLarge('drops.errors.tooManyParts')));
  // Cut boundary, bad part header, body ending early.
  bb.on('error', () => fail(new UploadMalformed('drops.errors.malformed')));

  // The connection closed before the whole body arrived (client gone, socket
  // destroyed, server timeout): no one to answer, nothing to keep.
  const onClose = () => {
    if (body.complete === false) fail(new ClientGone());
  };
  const onError = () => fail(new ClientGone());
  body.once('close', onClose);
  body.on('error', onError);

  const parsed = new Promise<void>((resolve) => {
    bb.once('close', resolve);
    abort.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  body.pipe(bb);
  await parsed;
  await Promise.allSettled(tasks);
  body.off('close', onClose);
  body.off('error', onError);
  body.on('error', () => {
    // Late socket errors while draining: nothing left to clean up, and an
    // 'error' without a listener would crash the process.
  });

  if (!failure && results.length === 0) failure = new UploadMalformed('drops.errors.noFile');
  if (!failure && results.some((r) => r === undefined)) failure = new UploadMalformed('drops.errors.malformed');
  if (failure) {
    await removeAll(opts.storage, attemptedKeys);
    throw failure;
  }
  return results as StoredUpload[];
}

async function storeOne(
  file: Readable & { truncated?: boolean },
  info: busboy.FileInfo,
  opts: ReceiveOptions,
  signal: AbortSignal,
  attemptedKeys: string[],
): Promise<StoredUpload> {
  const fileName = cleanFileName(info.filename);
  if (!fileName) throw new UploadMalformed('drops.errors.noName');
  const { head, whole } = await splitHead(file, HEAD_BYTES);
  signal.throwIfAborted();
  if (head.length === 0) throw new UploadMalformed('drops.errors.empty');

  const stages: Array<Readable | NodeJS.ReadWriteStream> = [];
  let kind: DropKind;
  switch (sniffOpenPgp(head, opts.recipient)) {
    case 'office':
      // (a) Encrypted in the browser (or by gpg) to the office key: stored as is.
      kind = 'client-encrypted';
      stages.push(whole, new OpenPgpFraming());
      break;
    case 'other-recipient':
      throw new UploadRefusedType('drops.errors.notForOffice');
    case 'broken':
      throw new UploadMalformed('drops.errors.brokenMessage');
    case 'plain':
      // (b) A plain file from a client without JavaScript: type-checked, then
      // encrypted as it flows; the plaintext is never written (P1).
      await checkPlainType(fileName, head);
      kind = 'server-encrypted';
      stages.push(await encryptToOffice(whole, opts.recipient.key, opts.encrypt));
      break;
  }
  const digest = new DigestCounter();
  stages.push(digest);
  const stored = pipeline(stages, () => {
    // Errors surface through the put below, which reads the last stage.
  }) as unknown as Readable;

  // (c) Random key, create-only: a key collision can never overwrite a drop.
  const key = opts.newKey();
  attemptedKeys.push(key);
  await opts.storage.put(key, stored, { signal, createOnly: true });
  if (file.truncated) throw new UploadTooLarge('drops.errors.fileTooLarge', { max: formatMiB(opts.limits.maxFileBytes) });
  return { storedKey: key, fileName, size: digest.bytes, sha256: digest.sha256, kind };
}

/** Deletes every object (and temp file) a failed request may have left. */
export async function removeAll(storage: StorageAdapter, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await storage.delete(key).catch(() => {
      // Left for the orphan sweep (reconcile.ts): an object with no drop row.
    });
  }
}
