/**
 * Every copy an S3 bucket keeps of one key: object versions, delete markers
 * and incomplete multipart uploads. Disposal (P5) must remove all of them and
 * then prove, by listing, that none is left.
 *
 * Listings use Prefix=key and keep only the exact key, since a prefix also
 * matches `key2` or `key/child`. Backends without the versioning or
 * multipart-listing API (s3rver) answer NotImplemented/MethodNotAllowed; then
 * the plain object is all there is to find.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';

export interface Copy {
  kind: 'version' | 'delete-marker' | 'multipart-upload' | 'object';
  id?: string;
}

interface Target {
  client: S3Client;
  bucket: string;
  pageSize: number;
}

export function isUnsupported(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotImplemented' || err?.name === 'MethodNotAllowed' || err?.$metadata?.httpStatusCode === 501 || err?.$metadata?.httpStatusCode === 405;
}

export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (err?.name === 'NoSuchBucket') return false;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/**
 * A listing is read-only, so a page that failed on the server's side (5xx, or
 * a 5xx whose body is an HTML error page the SDK cannot parse and so does not
 * retry itself) is asked for again a few times before disposal gives up:
 * otherwise one passing server error would leave a disposal unverified.
 */
async function listWithRetry<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      const err = e as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
      const status = err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode ?? 0;
      if (status < 500 || status === 501 || attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** Versions and delete markers of exactly `key`, page by page. */
async function* versionPages(t: Target, key: string): AsyncGenerator<Copy[]> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const r = await listWithRetry(() =>
      t.client.send(new ListObjectVersionsCommand({ Bucket: t.bucket, Prefix: key, KeyMarker, VersionIdMarker, MaxKeys: t.pageSize })),
    );
    const page: Copy[] = [
      ...(r.Versions ?? []).filter((v) => v.Key === key).map((v) => ({ kind: 'version' as const, id: v.VersionId ?? 'null' })),
      ...(r.DeleteMarkers ?? []).filter((m) => m.Key === key).map((m) => ({ kind: 'delete-marker' as const, id: m.VersionId ?? 'null' })),
    ];
    yield page;
    if (!r.IsTruncated) return;
    KeyMarker = r.NextKeyMarker;
    VersionIdMarker = r.NextVersionIdMarker;
  }
}

async function* uploadPages(t: Target, key: string): AsyncGenerator<Copy[]> {
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    const r = await listWithRetry(() =>
      t.client.send(new ListMultipartUploadsCommand({ Bucket: t.bucket, Prefix: key, KeyMarker, UploadIdMarker, MaxUploads: t.pageSize })),
    );
    yield (r.Uploads ?? []).filter((u) => u.Key === key && u.UploadId).map((u) => ({ kind: 'multipart-upload' as const, id: u.UploadId }));
    if (!r.IsTruncated) return;
    KeyMarker = r.NextKeyMarker;
    UploadIdMarker = r.NextUploadIdMarker;
  }
}

/** Runs `each` on every page; returns false if the backend lacks the API. */
async function forEachPage(pages: AsyncGenerator<Copy[]>, each: (page: Copy[]) => Promise<void>): Promise<boolean> {
  try {
    for await (const page of pages) await each(page);
    return true;
  } catch (e) {
    if (isUnsupported(e)) return false;
    throw e;
  }
}

export async function listCopies(t: Target, key: string): Promise<Copy[]> {
  const out: Copy[] = [];
  const versioned = await forEachPage(versionPages(t, key), async (p) => void out.push(...p));
  if (!versioned) {
    const exists = await t.client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: key })).then(
      () => true,
      (e) => {
        if (isNotFound(e)) return false;
        throw e;
      },
    );
    if (exists) out.push({ kind: 'object' });
  }
  await forEachPage(uploadPages(t, key), async (p) => void out.push(...p));
  return out;
}

export async function deleteCopies(t: Target, key: string): Promise<void> {
  // Deleting per page is safe: the markers are positions, not snapshots.
  const versioned = await forEachPage(versionPages(t, key), async (page) => {
    if (!page.length) return;
    const r = await t.client.send(
      new DeleteObjectsCommand({
        Bucket: t.bucket,
        // Deleting by version id removes the data itself; a delete without one
        // would only add a delete marker on a versioned bucket.
        Delete: { Objects: page.map((c) => ({ Key: key, VersionId: c.id })), Quiet: true },
      }),
    );
    if (r.Errors?.length) {
      const e = r.Errors[0];
      throw new StorageError(`could not delete a version of the object (${e.Code}: ${e.Message})`, key);
    }
  });
  if (!versioned) await t.client.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: key }));
  await forEachPage(uploadPages(t, key), async (page) => {
    for (const u of page) {
      await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: key, UploadId: u.id })).catch((e) => {
        if (!isNotFound(e)) throw e; // NoSuchUpload: finished or aborted meanwhile
      });
    }
  });
}

/** From this many keys on, one listing of the whole bucket beats one listing per key (a listing answers 1,000 at a time). */
export const BULK_FROM = 64;

/**
 * listCopies for many keys with one pass over the bucket's versions and
 * incomplete uploads (pages of `pageSize`), instead of two listings per key:
 * for 25,000 records of a disposal, 25 pages instead of 50,000 requests.
 * Only keys with a copy appear in the answer.
 */
export async function listCopiesOfMany(t: Target, keys: readonly string[]): Promise<Map<string, Copy[]>> {
  const wanted = new Set(keys);
  const out = new Map<string, Copy[]>();
  const add = (key: string | undefined, c: Copy) => {
    if (key === undefined || !wanted.has(key)) return;
    const list = out.get(key);
    if (list) list.push(c);
    else out.set(key, [c]);
  };
  try {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const r = await listWithRetry(() => t.client.send(new ListObjectVersionsCommand({ Bucket: t.bucket, KeyMarker, VersionIdMarker, MaxKeys: t.pageSize })));
      for (const v of r.Versions ?? []) add(v.Key, { kind: 'version', id: v.VersionId ?? 'null' });
      for (const m of r.DeleteMarkers ?? []) add(m.Key, { kind: 'delete-marker', id: m.VersionId ?? 'null' });
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      VersionIdMarker = r.NextVersionIdMarker;
    }
  } catch (e) {
    if (!isUnsupported(e)) throw e;
    // no versioning API (s3rver): the plain object is all there is, key by key
    out.clear();
    for (const key of keys) for (const c of await listCopies(t, key)) add(key, c);
    return out;
  }
  try {
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      const r = await listWithRetry(() => t.client.send(new ListMultipartUploadsCommand({ Bucket: t.bucket, KeyMarker, UploadIdMarker, MaxUploads: t.pageSize })));
      for (const u of r.Uploads ?? []) if (u.UploadId) add(u.Key, { kind: 'multipart-upload', id: u.UploadId });
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      UploadIdMarker = r.NextUploadIdMarker;
    }
  } catch (e) {
    if (!isUnsupported(e)) throw e;
  }
  return out;
}

/** listCopies for a few keys, one after another: only keys with a copy appear. */
export async function listCopiesKeyByKey(t: Target, keys: readonly string[]): Promise<Map<string, Copy[]>> {
  const out = new Map<string, Copy[]>();
  for (const key of keys) {
    const list = await listCopies(t, key);
    if (list.length) out.set(key, list);
  }
  return out;
}

/** How a copy is named in remnants(): its kind, and its version or upload id when it has one. */
export function copyName(c: Copy): string {
  return c.id ? `${c.kind} ${c.id}` : c.kind;
}

/** deleteCopies for many keys: one listing (listCopiesOfMany), then DeleteObjects by version id, 1,000 per call. */
export async function deleteCopiesOfMany(t: Target, keys: readonly string[]): Promise<void> {
  const copies = await listCopiesOfMany(t, keys);
  const versions: Array<{ Key: string; VersionId?: string }> = [];
  const uploads: Array<{ key: string; id: string }> = [];
  for (const [key, list] of copies) {
    for (const c of list) {
      if (c.kind === 'multipart-upload') uploads.push({ key, id: c.id! });
      else versions.push(c.kind === 'object' ? { Key: key } : { Key: key, VersionId: c.id });
    }
  }
  for (let i = 0; i < versions.length; i += 1000) {
    const r = await t.client.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: versions.slice(i, i + 1000), Quiet: true } }));
    if (r.Errors?.length) {
      const e = r.Errors[0]!;
      throw new StorageError(`could not delete a version of the object (${e.Code}: ${e.Message})`, e.Key ?? '');
    }
  }
  for (const u of uploads) {
    await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: u.key, UploadId: u.id })).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
}

/**
 * Aborts the bucket's incomplete multipart uploads started before `cutoff`
 * (a killed process never completes nor aborts its own). S3 reports when an
 * upload was started, not when it last moved, so callers give a generous age.
 */
export async function abortStaleUploads(t: Target, cutoff: number): Promise<{ checked: number; removed: number }> {
  let checked = 0;
  let removed = 0;
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  try {
    for (;;) {
      const r = await t.client.send(new ListMultipartUploadsCommand({ Bucket: t.bucket, KeyMarker, UploadIdMarker, MaxUploads: t.pageSize }));
      for (const u of r.Uploads ?? []) {
        checked++;
        if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated.getTime() > cutoff) continue;
        await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: u.Key, UploadId: u.UploadId })).then(
          () => removed++,
          (e) => {
            if (!isNotFound(e)) throw e;
          },
        );
      }
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      UploadIdMarker = r.NextUploadIdMarker;
    }
  } catch (e) {
    if (!isUnsupported(e)) throw e; // s3rver: no multipart listing, nothing to find
  }
  return { checked, removed };
}
