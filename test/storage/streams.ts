/**
 * Stream helpers for the storage tests and bench: large deterministic data
 * that is generated on the fly (never held in memory), hashing taps and an
 * RSS sampler.
 */
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';

const CHUNK = 64 * 1024;

/**
 * `bytes` of pseudo-random data from `seed`: the AES-256-CTR keystream under
 * a key derived from the seed. Same seed, same bytes; fast (GB/s) and O(1) memory.
 */
export function seededStream(seed: string, bytes: number): Readable {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = bytes;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    },
  });
}

/** A pass-through that hashes what flows through it. */
export function hashTap(): { tap: Transform; hash: Hash } {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { tap, hash };
}

export async function sha256Of(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: hash.digest('hex'), bytes };
}

/** Small objects only. */
export async function readText(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

/** A body that counts how often it was read (0 = untouched). */
export function watchedBody(text: string): Readable & { reads: number } {
  let done = false;
  const body = new Readable({
    read() {
      body.reads++;
      this.push(done ? null : Buffer.from(text));
      done = true;
    },
  }) as Readable & { reads: number };
  body.reads = 0;
  return body;
}

/**
 * A body that streams `bytes` of data and then, instead of ending, calls
 * `then` (abort a controller, destroy itself with an error...). The data is
 * large enough to start a multipart upload on S3.
 */
export function stallingBody(bytes: number, then: (body: Readable) => void, chunkBytes = 1024 * 1024): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(chunkBytes, 7);
  const body: Readable = new Readable({
    read() {
      if (sent >= bytes) {
        if (sent === bytes) {
          sent++;
          setImmediate(() => then(body));
        }
        return;
      }
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return body;
}

/**
 * A gc() for memory tests: global.gc under --expose-gc, otherwise enabled at
 * run time (V8 flag + a fresh context), which Node tolerates in practice.
 */
export function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/**
 * Samples process RSS every `everyMs`; stop() returns the peak seen.
 *
 * With `gc`, also collects every `gcEveryMs`. Why: V8 frees dead Buffers
 * only once external memory has grown ~64 MiB past the last full GC, so a
 * streaming transfer that churns 5 MiB part buffers shows that slack as RSS
 * whatever the adapter keeps alive. Collecting periodically makes the peak
 * measure what is actually held; an adapter that buffered a whole object
 * would still show all of it.
 */
export function sampleRss(opts: { everyMs?: number; gc?: () => void; gcEveryMs?: number } = {}): { stop: () => number } {
  const { everyMs = 50, gc, gcEveryMs = 250 } = opts;
  let peak = process.memoryUsage.rss();
  let lastGc = Date.now();
  const timer = setInterval(() => {
    if (gc && Date.now() - lastGc >= gcEveryMs) {
      gc();
      lastGc = Date.now();
    }
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export const MiB = 1024 * 1024;
