import { Worker } from 'node:worker_threads';
import type { NewObject } from './types.js';

/**
 * The packed store's writer thread (local-pack-writer.mjs), shared by the
 * packed stores of this process: a large createMany is inserted there, off
 * the main thread, so the caller's own synchronous work (an ingest's persons
 * insert) runs on the other core meanwhile. Started on first use, ended after
 * IDLE_MS without work; it never keeps the process alive.
 *
 * `insertOffThread` answers 'done' (durable), 'exists' with the key (nothing
 * of the batch was written), or 'unavailable' (the thread could not do it:
 * not started, crashed, or its answer was lost). After 'unavailable' the
 * caller inserts on its own connection instead — safe either way: if the
 * thread's transaction did commit, that insert fails on the first existing
 * key and the caller undoes the batch as after any failed createMany.
 */
const IDLE_MS = 60_000;
const WRITER = new URL('./local-pack-writer.mjs', import.meta.url);

type Answer = { ok: true } | { ok: false; exists: string } | { ok: false; code: string };
type Outcome = { kind: 'done' } | { kind: 'exists'; key: string } | { kind: 'unavailable' };

let worker: Worker | undefined;
let idle: NodeJS.Timeout | undefined;
let nextId = 1;
const pending = new Map<number, (o: Outcome) => void>();

function failAll(): void {
  worker = undefined;
  for (const resolve of pending.values()) resolve({ kind: 'unavailable' });
  pending.clear();
}

function thread(): Worker {
  if (worker) return worker;
  // Its output is not captured: it handles only ciphertext, and captured stdio
  // would keep the process alive (Node 20 refs the stdio port despite unref()).
  const w = new Worker(WRITER, { env: {}, execArgv: [] });
  w.on('message', (a: Answer & { id: number }) => {
    const resolve = pending.get(a.id);
    if (!resolve) return;
    pending.delete(a.id);
    resolve(a.ok ? { kind: 'done' } : 'exists' in a ? { kind: 'exists', key: a.exists } : { kind: 'unavailable' });
    if (pending.size === 0) {
      w.unref();
      arm();
    }
  });
  w.on('error', () => {
    if (worker === w) failAll();
  });
  w.on('exit', () => {
    if (worker === w) failAll();
  });
  // Idle, it never keeps the process alive (unref after the listeners: adding one refs it again).
  w.unref();
  return (worker = w);
}

function arm(): void {
  clearTimeout(idle);
  idle = setTimeout(() => {
    if (pending.size === 0 && worker) {
      const w = worker;
      worker = undefined;
      void w.terminate();
    }
  }, IDLE_MS);
  idle.unref();
}

export function insertOffThread(file: string, items: ReadonlyArray<NewObject>, at: number): Promise<Outcome> {
  let total = 0;
  for (const it of items) total += it.bytes.byteLength;
  const data = new ArrayBuffer(total);
  const view = new Uint8Array(data);
  const offsets = new Uint32Array(items.length + 1);
  let at0 = 0;
  items.forEach((it, i) => {
    offsets[i] = at0;
    view.set(it.bytes, at0);
    at0 += it.bytes.byteLength;
  });
  offsets[items.length] = at0;
  // Keys are checked by the caller (keys.ts: no newline can be in one).
  const keys = items.map((it) => it.key).join('\n');
  return new Promise<Outcome>((resolve) => {
    let w: Worker;
    try {
      w = thread();
    } catch {
      return resolve({ kind: 'unavailable' });
    }
    clearTimeout(idle);
    // Held while a batch is on its way: the process must not end before the answer.
    w.ref();
    const id = nextId++;
    pending.set(id, resolve);
    w.postMessage({ id, file, keys, offsets, data, at }, [data]);
  });
}
