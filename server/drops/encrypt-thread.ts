import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleWorkerScript } from '../workers/bundle.js';
import type { EncryptReply, EncryptRequest } from './encrypt-worker.js';
import type { SymmetricName } from '../lib/seipd-writer.js';

/**
 * Encryption threads for plain uploads (encrypt-worker.ts). Receiving an
 * upload (socket, multipart parsing, SHA-256, the write) fills the main
 * thread; AES-CFB and the MDC's SHA-1 cost about as much again, so on one
 * thread the encrypted upload ran at half the speed of receiving alone. Here
 * they run on another core, chunk by chunk, overlapped with the receive.
 *
 * A small pool (cores − 1, at most 2) shared by every upload in flight, each
 * upload a stream on one thread. Threads start at the first plain upload —
 * an idle server keeps none — and end after THREAD_IDLE_MS without work. A
 * thread that fails fails only its streams (those uploads are refused and
 * cleaned up like any failed upload); when no thread can be had, the caller
 * encrypts on the main thread instead (same bytes).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENTRY_SOURCE = `import { run } from './encrypt-worker.ts';\nrun();\n`;
const MAX_THREADS = Math.max(1, Math.min(2, os.availableParallelism() - 1));
const THREAD_IDLE_MS = 30_000;

let script: Promise<URL | null> | undefined;
function encryptWorkerScript(): Promise<URL | null> {
  script ??= bundleWorkerScript(ENTRY_SOURCE, HERE, 'encrypt-worker-entry.ts').catch(() => null);
  return script;
}

/** A chunk's ciphertext, and the chunk's memory back when the writer is done with it (for reuse). */
export interface ThreadReply {
  out: Buffer;
  back?: ArrayBuffer;
}

interface Waiter {
  resolve(r: ThreadReply): void;
  reject(e: Error): void;
}

class EncryptThread {
  readonly worker: Worker;
  /** Per stream, the replies still owed, oldest first (the thread answers in order). */
  readonly waiting = new Map<number, Waiter[]>();
  private idle: NodeJS.Timeout | undefined;
  dead = false;

  constructor(url: URL, private readonly onGone: (t: EncryptThread) => void) {
    this.worker = new Worker(url, { env: {}, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } });
    this.worker.on('message', (r: EncryptReply) => {
      const w = this.waiting.get(r.id)?.shift();
      if (!w) return;
      if ('out' in r) w.resolve({ out: Buffer.from(r.out), back: r.back });
      else w.reject(new Error(`encryption thread: ${r.error}`));
    });
    // `on`, not `once`: an 'error' without a listener would take the whole process down.
    this.worker.on('error', () => this.fail());
    this.worker.once('exit', () => this.fail());
    this.worker.unref();
    this.armIdle();
  }

  post(m: EncryptRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  expect(id: number): Promise<ThreadReply> {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new Error('encryption thread gone'));
      this.waiting.get(id)?.push({ resolve, reject });
    });
  }

  open(id: number): void {
    clearTimeout(this.idle);
    // Referenced while it has work (its answers are awaited); an idle thread never keeps the process alive.
    if (this.waiting.size === 0) this.worker.ref();
    this.waiting.set(id, []);
  }

  close(id: number): void {
    if (!this.waiting.delete(id) || this.waiting.size > 0) return;
    this.worker.unref();
    this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.worker.terminate(), THREAD_IDLE_MS);
    this.idle.unref();
  }

  private fail(): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.idle);
    for (const ws of this.waiting.values()) for (const w of ws) w.reject(new Error('encryption thread gone'));
    this.waiting.clear();
    this.onGone(this);
  }
}

const pool: EncryptThread[] = [];
let nextId = 1;

async function pick(): Promise<EncryptThread | null> {
  const live = pool.filter((t) => !t.dead);
  const least = live.sort((a, b) => a.waiting.size - b.waiting.size)[0];
  if (least && (least.waiting.size === 0 || live.length >= MAX_THREADS)) return least;
  const url = await encryptWorkerScript();
  if (!url) return least ?? null;
  try {
    const t = new EncryptThread(url, (gone) => {
      const i = pool.indexOf(gone);
      if (i >= 0) pool.splice(i, 1);
    });
    pool.push(t);
    return t;
  } catch {
    return least ?? null;
  }
}

/** One upload's encryption on a thread: chunks in (ownership passes to the thread), ciphertext out, in order. */
export interface ThreadStream {
  /** The first `length` bytes of `chunk` are plaintext; `chunk` is transferred (unusable here afterwards), so it must be memory of its own, never a pooled Buffer's. */
  write(chunk: ArrayBuffer, length: number): Promise<ThreadReply>;
  end(): Promise<ThreadReply>;
  /** Forgets the stream (after end, or on failure); the thread drops its writer and key. */
  close(): void;
}

/** A stream on an encryption thread, or null when none can be had (encrypt on this thread then). */
export async function openThreadStream(algorithm: SymmetricName, sessionKey: Uint8Array, date: Date): Promise<ThreadStream | null> {
  const t = await pick();
  if (!t) return null;
  const id = nextId++;
  t.open(id);
  const key = new ArrayBuffer(sessionKey.length);
  new Uint8Array(key).set(sessionKey);
  t.post({ id, op: 'start', algorithm, key, date: date.getTime() }, [key]);
  let closed = false;
  return {
    write(chunk, length) {
      const p = t.expect(id);
      t.post({ id, op: 'data', chunk, length }, [chunk]);
      return p;
    },
    end() {
      const p = t.expect(id);
      t.post({ id, op: 'end' });
      return p;
    },
    close() {
      if (closed) return;
      closed = true;
      if (!t.dead) t.post({ id, op: 'drop' });
      t.close(id);
    },
  };
}

/** Encryption threads alive now (diagnosis and tests). */
export function encryptThreadCount(): number {
  return pool.filter((t) => !t.dead).length;
}

/** Ends every encryption thread (server shutdown). */
export async function stopEncryptThreads(): Promise<void> {
  await Promise.all(pool.splice(0).map((t) => t.worker.terminate()));
}
