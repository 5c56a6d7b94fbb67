import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/**
 * Pooled CSPRNG output for the many small draws (ids, vault tokens, GCM
 * nonces): one `randomFillSync` of POOL_BYTES from the OS generator instead of
 * a `randomBytes` call (≈14 µs each) per draw. The bytes are the same
 * crypto.randomFillSync output, handed out in order, each byte at most once.
 *
 * Trade-off: random bytes not yet handed out live in this process's memory
 * until they are used (at most POOL_BYTES), so a memory dump would show the
 * next few ids/tokens/nonces — not past ones: a slice is zeroed in the pool the
 * moment it is taken. Anyone who can read this process's memory already sees
 * the unlocked keys, so it adds nothing for secrets; long-lived key material
 * (data keys, index keys) still comes from `randomBytes` directly, never the pool.
 */
const POOL_BYTES = 4096;
/** Larger draws bypass the pool (and would mostly waste it). */
const MAX_POOLED = 64;
const pool = Buffer.alloc(POOL_BYTES);
let next = POOL_BYTES; // empty: the first draw fills it

/** Offset of `n` fresh pooled bytes; the caller reads them and then calls `spent`. */
function take(n: number): number {
  if (next + n > POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next;
  next += n;
  return at;
}

function spent(at: number, n: number): void {
  pool.fill(0, at, at + n);
}

/** `n` random bytes from the OS CSPRNG, in a new Buffer owned by the caller. */
export function randomBytesPooled(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('random byte count must be a non-negative integer');
  if (n > MAX_POOLED) return randomBytes(n);
  const at = take(n);
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, at, at + n);
  spent(at, n);
  return out;
}

/** `n` random bytes from the OS CSPRNG, encoded; the bytes never exist outside the pool. */
export function randomString(n: number, encoding: 'hex' | 'base64url'): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('random byte count must be a non-negative integer');
  if (n > MAX_POOLED) return randomBytes(n).toString(encoding);
  const at = take(n);
  const s = pool.toString(encoding, at, at + n);
  spent(at, n);
  return s;
}

/** Every id, token, access key and session id comes from here: the OS CSPRNG (pooled, above), never a non-cryptographic generator. */
export function randomId(bytes = 16): string {
  return randomString(bytes, 'base64url');
}

/**
 * A key for the storage locations: a letter naming what it holds (`d` drop,
 * `b` bundle, `c` collected submission, `i` its kept identity images),
 * then a random id. The letter is the
 * point: a bare base64url id starts with `-` or `_` one time in 32, which the
 * storage key rules refuse (storage-adapters/keys.ts) — a 500 for one upload in 32.
 */
export function randomStorageKey(kind: 'd' | 'b' | 'c' | 'i'): string {
  return `${kind}${randomId(18)}`;
}

/** Random text from an alphabet without look-alikes (0/O, 1/l/I), for things people type from paper. */
export function randomReadable(length: number, alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'): string {
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

/** SHA-256 for looking up high-entropy secrets (session ids, access keys) without storing them. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
