/**
 * A storage location in an S3-compatible bucket (AWS S3, MinIO; tested
 * against moto and s3rver over HTTP, never against a mocked SDK).
 *
 * Puts stream through @aws-sdk/lib-storage (a multipart upload above one
 * part), so live memory stays at about (queueSize + 2) × partSize — parts in
 * flight plus the one being assembled and its copy — whatever the size.
 */
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forEachAtOnce } from './concurrency.js';
import { contentDisposition } from './content-disposition.js';
import { StorageError, StorageExistsError, StorageNotFoundError } from './errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { abortStaleUploads, BULK_FROM, copyName, deleteCopies, deleteCopiesOfMany, isNotFound, listCopies, listCopiesKeyByKey, listCopiesOfMany } from './s3-copies.js';
import type { NewObject, ObjectInfo, PutOptions, PutResult, StorageAdapter } from './types.js';

/** PutObjects in flight at once in createMany (the SDK pools up to 50 sockets). */
const CREATE_MANY_CONCURRENCY = 16;
/**
 * Keys deleteMany removes at once. Each removal lists the key's versions and
 * deletes them one by one; moto answered such listings with HTML error pages
 * when 16 ran beside each other's deletes on a versioned bucket, so fewer.
 */
const DELETE_AT_ONCE = 4;
/** An S3 multipart upload younger than this is never aborted by sweepTemp (it may be another instance's 1 GiB upload). */
const MULTIPART_MIN_AGE_MS = 24 * 60 * 60_000;

export interface S3AdapterOptions {
  name: string;
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /**
   * The backend honours `If-None-Match: *` on PutObject/CompleteMultipartUpload
   * (AWS S3 since 2024, MinIO, moto). Set false for one that ignores it
   * (s3rver): createOnly then falls back to a HEAD check, see put().
   */
  conditionalWrites?: boolean;
  /**
   * Multipart part size (default and minimum 5 MiB) and parts in flight
   * (default 2). Defaults keep a put near 20 MiB; raise queueSize for
   * throughput to a distant S3 region.
   */
  partSize?: number;
  queueSize?: number;
  /** Keys per listing request (≤ 1000). */
  pageSize?: number;
}

export interface S3Adapter extends StorageAdapter {
  /** Closes pooled connections (tests, shutdown). */
  close(): void;
}

export function createS3Adapter(opts: S3AdapterOptions): S3Adapter {
  const { name, bucket } = opts;
  const conditionalWrites = opts.conditionalWrites ?? true;
  const partSize = Math.max(opts.partSize ?? 5 * 1024 * 1024, 5 * 1024 * 1024);
  const queueSize = opts.queueSize ?? 2;
  const pageSize = Math.min(Math.max(opts.pageSize ?? 1000, 1), 1000);
  const client = new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle ?? false,
    credentials: opts.accessKeyId && opts.secretAccessKey ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined,
    // Default checksums use aws-chunked streaming bodies that some
    // S3-compatibles (s3rver) store verbatim, silently corrupting objects.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const target = { client, bucket, pageSize };

  const mapError = (e: unknown, key: string, writing = false): unknown => {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err?.name === 'NoSuchBucket') return new StorageError(`storage "${name}": bucket "${bucket}" does not exist`, key);
    if (isNotFound(e)) return new StorageNotFoundError('no such object', key);
    // 412: If-None-Match met an existing object; 409: a concurrent conditional write won.
    const status = err?.$metadata?.httpStatusCode;
    if (writing && (status === 412 || status === 409 || err?.name === 'PreconditionFailed')) {
      return new StorageExistsError('object already exists', key);
    }
    return e;
  };

  async function exists(key: string): Promise<boolean> {
    return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      (e) => {
        if (isNotFound(e)) return false;
        throw mapError(e, key);
      },
    );
  }

  async function put(key: string, body: Readable, o: PutOptions = {}): Promise<PutResult> {
    try {
      assertValidKey(key);
      o.signal?.throwIfAborted();
      // Without conditional writes this HEAD is the only createOnly check.
      // Race: two puts of a new key can both pass it and the later one wins.
      // Acceptable there (keys are random ids); use a backend with
      // If-None-Match where it matters. With it, the HEAD just fails fast.
      if (o.createOnly && (await exists(key))) throw new StorageExistsError('object already exists', key);
    } catch (e) {
      body.destroy();
      throw e;
    }
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(null, chunk);
      },
    });
    // An abort destroys the source side: lib-storage then stops reading, waits
    // for parts in flight and aborts the multipart upload *before* done()
    // settles. (Its own abort() settles at once and cleans up later, which
    // would let the caller see remnants of an upload it believes is gone.)
    let sourceError: unknown;
    const piping = pipeline(body, counted, { signal: o.signal }).catch((e) => {
      sourceError ??= e;
    });
    const upload = new Upload({
      client,
      partSize,
      queueSize,
      leavePartsOnError: false,
      params: { Bucket: bucket, Key: key, Body: counted, ...(o.createOnly && conditionalWrites ? { IfNoneMatch: '*' } : {}) },
    });
    try {
      await upload.done();
      await piping;
      return { key, size };
    } catch (e) {
      body.destroy();
      counted.destroy();
      // Belt and braces: lib-storage aborts the multipart upload itself, but
      // a leftover upload keeps every part stored (and billed) indefinitely.
      if (upload.uploadId) {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId })).catch(() => {});
      }
      // Report the cause, not a follow-up failure of lib-storage's cleanup.
      if (o.signal?.aborted) throw o.signal.reason ?? e;
      throw sourceError ?? mapError(e, key, true);
    }
  }

  async function get(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!(r.Body instanceof Readable)) throw new StorageError('S3 returned no body stream', key);
      return r.Body;
    } catch (e) {
      throw mapError(e, key);
    }
  }

  /** One small in-memory object, create-only; durable when S3 answers 200. */
  async function createOne(item: NewObject, signal?: AbortSignal): Promise<void> {
    if (!conditionalWrites && (await exists(item.key))) throw new StorageExistsError('object already exists', item.key);
    await client
      .send(new PutObjectCommand({ Bucket: bucket, Key: item.key, Body: item.bytes, ContentLength: item.bytes.length, ...(conditionalWrites ? { IfNoneMatch: '*' } : {}) }), {
        abortSignal: signal,
      })
      .catch((e) => {
        throw mapError(e, item.key, true);
      });
  }

  async function createMany(items: ReadonlyArray<NewObject>, o: { signal?: AbortSignal } = {}): Promise<void> {
    for (const item of items) assertValidKey(item.key);
    o.signal?.throwIfAborted();
    await forEachAtOnce(items, CREATE_MANY_CONCURRENCY, (item) => createOne(item, o.signal), o.signal);
  }

  async function head(key: string): Promise<ObjectInfo> {
    assertValidKey(key);
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { key, size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
    } catch (e) {
      throw mapError(e, key);
    }
  }

  async function* list(prefix = ''): AsyncGenerator<ObjectInfo> {
    assertValidPrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      const r = await client
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken, MaxKeys: pageSize }))
        .catch((e) => {
          throw mapError(e, prefix);
        });
      for (const c of r.Contents ?? []) {
        if (c.Key) yield { key: c.Key, size: c.Size ?? 0, lastModified: c.LastModified ?? new Date(0) };
      }
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async function check(): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      const why =
        status === 404 ? 'does not exist'
        : status === 403 ? 'is not accessible with these credentials (access denied)'
        : status === 301 || status === 400 ? `answered ${status}: check the region and endpoint`
        : `cannot be reached (${err.code ?? err.name ?? err.message})`;
      throw new StorageError(`storage "${name}": bucket "${bucket}" ${why}${opts.endpoint ? ` at ${opts.endpoint}` : ''}`);
    }
  }

  return {
    name,
    kind: 's3',
    put,
    createMany,
    get,
    head,
    list,
    check,
    delete: async (key) => {
      assertValidKey(key);
      await deleteCopies(target, key).catch((e) => {
        throw mapError(e, key);
      });
    },
    deleteMany: async (keys) => {
      for (const key of keys) assertValidKey(key);
      if (keys.length >= BULK_FROM) {
        await deleteCopiesOfMany(target, keys).catch((e) => {
          throw mapError(e, '');
        });
        return;
      }
      await forEachAtOnce(keys, DELETE_AT_ONCE, (key) =>
        deleteCopies(target, key).catch((e) => {
          throw mapError(e, key);
        }),
      );
    },
    remnants: async (key) => {
      assertValidKey(key);
      return (await listCopies(target, key)).map(copyName);
    },
    remnantsMany: async (keys) => {
      for (const key of keys) assertValidKey(key);
      const copies = await (keys.length >= BULK_FROM ? listCopiesOfMany(target, keys) : listCopiesKeyByKey(target, keys)).catch((e) => {
        throw mapError(e, '');
      });
      return new Map([...copies].map(([key, list]) => [key, list.map(copyName)]));
    },
    downloadUrl: async (key, ttlSeconds, o) => {
      assertValidKey(key);
      const cmd = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(o?.filename !== undefined ? { ResponseContentDisposition: contentDisposition(o.filename) } : {}),
      });
      // Threat: a leaked URL used later; it is valid for ttlSeconds only.
      return getSignedUrl(client, cmd, { expiresIn: Math.max(1, Math.ceil(ttlSeconds)) });
    },
    // Started-at is all S3 tells, so a slow upload of another instance is
    // safe only with a floor well above any real upload's duration.
    sweepTemp: async (o) =>
      abortStaleUploads(target, (o.now ?? Date.now()) - Math.max(o.olderThanMs, MULTIPART_MIN_AGE_MS)).catch((e) => {
        throw mapError(e, '');
      }),
    close: () => client.destroy(),
  };
}
