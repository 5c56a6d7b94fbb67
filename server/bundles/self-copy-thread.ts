import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as openpgp from 'openpgp';
import { bundleWorkerScript } from '../workers/bundle.js';
import type { Recipient } from './seal/seal.js';
import { sealStreamed } from './seal/seal-stream.js';
import type { SelfCopy } from './self-copy.js';
import { selfCopyFiles } from './self-copy-files.js';
import type { SelfCopyJob, SelfCopyMessage } from './self-copy-worker.js';

/**
 * The 本人交付 bundle, sealed on a thread of its own (self-copy-worker.ts) so
 * that on two cores its ≈ 10,000 PDFs and their sealing run beside the
 * numbered bundles instead of after them (bench/bundles). Without a thread
 * (the worker script cannot be built) the same code runs here. Either way
 * `put` receives the ciphertext as one stream and the result is the same
 * bytes' size, SHA-256 and manifest.
 */
export interface SelfCopySealed {
  readonly size: number;
  readonly sha256: string;
  readonly manifest: Record<string, unknown>;
}

export interface SelfCopyRun {
  readonly done: Promise<SelfCopySealed>;
  /** Stops the thread (the build failed elsewhere); `done` then rejects. */
  stop(): void;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
let script: Promise<URL | null> | undefined;
const workerScript = () => (script ??= bundleWorkerScript(`import { run } from './self-copy-worker.ts';\nrun();\n`, HERE, 'self-copy-worker-entry.ts').catch(() => null));

export function sealSelfCopies(
  copies: readonly SelfCopy[],
  nenbun: number,
  builtAt: Date,
  archiveName: string,
  signingKey: openpgp.PrivateKey,
  to: Recipient,
  put: (body: Readable) => Promise<void>,
  opts: { thread?: boolean } = {},
): SelfCopyRun {
  let stopped = false;
  let worker: Worker | undefined;
  const done = (opts.thread === false ? Promise.resolve(null) : workerScript()).then(async (url) => {
    if (stopped) throw new Error('self-copy bundle stopped');
    if (!url) return sealHere(copies, nenbun, builtAt, archiveName, signingKey, to, put);
    // Heap limits: the thread holds the copies' data, the font and a few PDFs at a time (what waits for the
    // seal is bounded by QUEUED). With 384 MiB of old generation V8 let garbage pile up before collecting it:
    // the build process peaked at 580–640 MiB for 10,000 employees; at 128 MiB, 516–528 MiB, no slower
    // (bench/README.md). The copies' data grows with the company, so the limit does too (4 MiB per 1,000).
    worker = new Worker(url, { env: {}, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: Math.min(384, 96 + Math.ceil(copies.length / 250)), maxYoungGenerationSizeMb: 16 } });
    try {
      return await inThread(worker, { copies, nenbun, builtAt: builtAt.toISOString(), archiveName, key: keyBytes(signingKey), to: to.kind === 'client-key' ? { kind: 'client-key', armored: to.publicKey.armor() } : to }, put);
    } finally {
      void worker.terminate();
    }
  });
  return {
    done,
    stop: () => {
      stopped = true;
      void worker?.terminate();
    },
  };
}

async function sealHere(copies: readonly SelfCopy[], nenbun: number, builtAt: Date, archiveName: string, signingKey: openpgp.PrivateKey, to: Recipient, put: (body: Readable) => Promise<void>): Promise<SelfCopySealed> {
  const own = selfCopyFiles(copies, nenbun, builtAt);
  const sealed = await sealStreamed(own.files, archiveName, signingKey, to, own.manifestOf, put);
  return { size: sealed.size, sha256: sealed.sha256, manifest: own.manifest() };
}

/**
 * The unlocked key's packets copied into an ArrayBuffer of their own, to be moved to the thread
 * (which zeroes it once read). What write() returns is not zeroed here: it can be a view of the
 * key's own parameters (unlock-thread.ts), which the caller's key still needs and zeroes itself.
 */
function keyBytes(k: openpgp.PrivateKey): ArrayBuffer {
  const b = k.write();
  const own = new ArrayBuffer(b.byteLength);
  new Uint8Array(own).set(b);
  return own;
}

function inThread(worker: Worker, job: SelfCopyJob, put: (body: Readable) => Promise<void>): Promise<SelfCopySealed> {
  return new Promise<SelfCopySealed>((resolve, reject) => {
    let owed = 0;
    let result: SelfCopySealed | undefined;
    const body = new Readable({
      read() {
        if (owed === 0) return;
        worker.postMessage({ ack: owed });
        owed = 0;
      },
    });
    const stored = put(body);
    const fail = (err: Error) => {
      body.destroy(err);
      reject(err);
    };
    // A store that fails stops the whole job (the caller then ends the thread).
    stored.catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('message', (m: SelfCopyMessage) => {
      if ('chunk' in m) {
        if (body.push(Buffer.from(m.chunk))) worker.postMessage({ ack: 1 });
        else owed++;
      } else if ('done' in m) {
        result = m.done;
        body.push(null);
        stored.then(() => resolve(result as SelfCopySealed), reject);
      } else fail(new Error(m.failed));
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (!result) fail(new Error(`the 本人交付 thread ended (${code}) before its bundle was sealed`));
    });
    worker.postMessage(job, [job.key]);
  });
}
