/**
 * Short-lived signed download URLs for backends without presigning (local
 * folders): `${baseUrl}/files/<location>/<key>?exp=<unix>&sig=<mac>[&filename=]`.
 *
 * Framework-free on purpose: the app route parses the request and calls
 * openSignedDownload; storage never sees Express.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StorageError, StorageKeyError, StorageUrlError } from './errors.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './types.js';

export interface SignedDownload {
  stream: Readable;
  size: number;
  filename?: string;
}

type Opener = (key: string) => Promise<{ stream: Readable; size: number }>;
interface SignedSource {
  urlKey: Buffer;
  open: Opener;
}

// Only adapters that registered themselves here (local ones) can serve signed
// URLs. A WeakMap keeps the MAC key out of the adapter's public surface.
const sources = new WeakMap<StorageAdapter, SignedSource>();

/** Called by an adapter that serves its own signed URLs. */
export function registerSignedSource(adapter: StorageAdapter, urlKey: Buffer, open: Opener): void {
  sources.set(adapter, { urlKey, open });
}

/**
 * Threat: reuse of a MAC made for another purpose. The app secret also signs
 * cookies; deriving a dedicated key means no cookie MAC is ever a valid URL
 * signature (and vice versa).
 */
export function deriveUrlKey(signingSecret: string): Buffer {
  // Threat: forgeable URLs from an empty or guessable secret.
  if (typeof signingSecret !== 'string' || signingSecret.length < 32) {
    throw new StorageError('the download-URL signing secret must be at least 32 characters');
  }
  return createHmac('sha256', signingSecret).update('kinko storage download-url v1').digest();
}

/**
 * MAC over every field that changes what is served. JSON encoding keeps the
 * fields unambiguous (no "name+key" splicing of one URL into another).
 */
export function signDownload(urlKey: Buffer, name: string, key: string, exp: number, filename?: string): string {
  return createHmac('sha256', urlKey)
    .update(JSON.stringify(['kinko-download', name, key, exp, filename ?? null]))
    .digest('base64url');
}

export function buildSignedUrl(
  baseUrl: string,
  urlKey: Buffer,
  name: string,
  key: string,
  ttlSeconds: number,
  now: number,
  filename?: string,
): string {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new StorageError('download URL ttl must be positive', key);
  const exp = Math.floor(now / 1000) + Math.ceil(ttlSeconds);
  const q = new URLSearchParams({ exp: String(exp), sig: signDownload(urlKey, name, key, exp, filename) });
  if (filename !== undefined) q.set('filename', filename);
  // Keys are plain [A-Za-z0-9._-] segments (keys.ts), so they need no escaping.
  return `${baseUrl.replace(/\/+$/, '')}/files/${encodeURIComponent(name)}/${key}?${q}`;
}

/**
 * Verifies a signed URL and opens the object. `pathname` is the path below the
 * app root (starting `/files/`), `searchParams` its query. Throws StorageUrlError
 * for anything malformed, unknown, tampered with or expired, and
 * StorageNotFoundError if the object is gone.
 */
export async function openSignedDownload(
  adapters: Record<string, StorageAdapter> | Iterable<StorageAdapter>,
  pathname: string,
  searchParams: URLSearchParams,
  now: Date | number = Date.now(),
): Promise<SignedDownload> {
  const m = /^\/files\/([^/]+)\/(.+)$/.exec(pathname);
  if (!m) throw new StorageUrlError('not a download URL');
  const [, name, key] = m;
  const list = Symbol.iterator in adapters ? [...(adapters as Iterable<StorageAdapter>)] : Object.values(adapters);
  const adapter = list.find((a) => a.name === name && sources.has(a));
  if (!adapter) throw new StorageUrlError('unknown storage location');
  const source = sources.get(adapter)!;
  try {
    // Threat: traversal through the URL path (`/files/drops/../../etc/passwd`,
    // percent-encoded variants): only plain keys are even considered.
    assertValidKey(key);
  } catch (e) {
    if (e instanceof StorageKeyError) throw new StorageUrlError('malformed download URL');
    throw e;
  }
  const expText = searchParams.get('exp') ?? '';
  const sig = searchParams.get('sig') ?? '';
  const filename = searchParams.get('filename') ?? undefined;
  // Strict shapes first, so the comparison below always sees 32-byte MACs.
  if (!/^\d{1,12}$/.test(expText) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) {
    throw new StorageUrlError('malformed download URL', key);
  }
  const exp = Number(expText);
  const expected = Buffer.from(signDownload(source.urlKey, name, key, exp, filename), 'base64url');
  // Threat: timing side channel revealing a valid MAC byte by byte.
  if (!timingSafeEqual(Buffer.from(sig, 'base64url'), expected)) {
    throw new StorageUrlError('bad download URL signature', key);
  }
  // Threat: a leaked URL (mail, browser history, proxy logs) used later.
  const nowSeconds = Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000);
  if (nowSeconds > exp) throw new StorageUrlError('download URL expired', key);
  const { stream, size } = await source.open(key);
  return filename === undefined ? { stream, size } : { stream, size, filename };
}
