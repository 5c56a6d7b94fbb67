import { Worker } from 'node:worker_threads';
import * as openpgp from 'openpgp';

/**
 * The office key's S2K work off the main thread (issue 12 item 3).
 *
 * Threat: a key passphrase form is a CPU lever. Each try runs the OpenPGP
 * S2K derivation (~40–50 ms); on the event loop, 200 wrong passphrases in 10 s
 * made every other request wait (/healthz 5 ms → 610 ms). The throttle
 * (unlock-guard.ts) bounds how many tries are evaluated; this thread makes the
 * ones that are cost the web tier nothing.
 *
 * One thread (unlock-worker.mjs), started at the first unlock and kept: jobs
 * are answered in order, so S2K uses at most one core and the main thread
 * keeps the other. It is referenced only while a job is pending, so it never
 * holds the process open; it gets no environment and no process flags. If it
 * dies, pending jobs fail (an internal error, never "wrong passphrase") and
 * the next job starts a new one. There is deliberately no fallback to the
 * main thread: that would hand the lever back.
 */
const SCRIPT = new URL('./unlock-worker.mjs', import.meta.url);

type Reply = { id: number; ok: true; bytes?: Uint8Array; armored?: string } | { id: number; ok: false; error: 'wrong' | 'damaged' | 'error' };
type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(SCRIPT, { env: {}, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } });
  w.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    p?.resolve(reply);
  });
  const gone = () => {
    if (worker === w) worker = undefined;
    failAll(new Error('the key unlock thread stopped'));
  };
  w.on('error', gone);
  w.once('exit', gone);
  w.unref();
  worker = w;
  return w;
}

function run(job: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
  const id = nextId++;
  const w = thread();
  return new Promise<Reply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, ...job }, transfer);
  });
}

export type ThreadUnlock = { ok: true; key: openpgp.PrivateKey } | { ok: false; error: 'wrong' | 'damaged' };

/** Opens a locked copy with a passphrase on the unlock thread; the unlocked key comes back as an openpgp.js key. */
export async function decryptInThread(lockedArmored: string, passphrase: string): Promise<ThreadUnlock> {
  const reply = await run({ op: 'decrypt', armored: lockedArmored, passphrase });
  if (!reply.ok) {
    if (reply.error === 'error') throw new Error('the key unlock thread failed');
    return { ok: false, error: reply.error };
  }
  // Reading an unlocked key needs no S2K: ~1 ms here. The key's parameters are
  // views into these bytes, so they are not zeroed here: the caller's
  // forgetKey (clearPrivateParams) zeroes them with the key.
  return { ok: true, key: await openpgp.readPrivateKey({ binaryKey: reply.bytes! }) };
}

/** Locks an unlocked key under a new passphrase on the unlock thread (its S2K costs the same); armored result. */
export async function relockInThread(key: openpgp.PrivateKey, passphrase: string): Promise<string> {
  // A copy of its own to hand over (the caller's key must stay intact).
  const bytes = key.write().slice();
  const reply = await run({ op: 'relock', bytes: bytes.buffer, passphrase }, [bytes.buffer as ArrayBuffer]);
  if (!reply.ok || !reply.armored) throw new Error('the key unlock thread failed');
  return reply.armored;
}

/** Ends the thread (server shutdown, tests); the next unlock starts a new one. */
export async function stopUnlockThread(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
