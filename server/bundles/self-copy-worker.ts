import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import type { Recipient } from './seal/seal.js';
import { sealStreamed } from './seal/seal-stream.js';
import type { SelfCopy } from './self-copy.js';
import { selfCopyFiles } from './self-copy-files.js';

/**
 * Body of the 本人交付 thread (self-copy-thread.ts): makes the employees'
 * PDFs, zips them and seals the zip (signed with the office key, encrypted
 * to the client) on the second core while the main thread reads the numbers
 * and builds the numbered bundles. This thread's heap never holds a number:
 * it gets the number-free copies only, and the whole path it imports is
 * under `self-copy-reaches-no-numbers`. It holds the unlocked office key for
 * its one job, as the main thread does (P4: memory only), zeroes the key's
 * bytes when the job ends, and is then stopped.
 *
 * The ciphertext goes back in pieces of 4 MiB (gathered, then moved); at most
 * IN_FLIGHT are unacknowledged, so a slow store slows this thread instead
 * of filling memory.
 */
export interface SelfCopyJob {
  readonly copies: readonly SelfCopy[];
  readonly nenbun: number;
  readonly builtAt: string;
  readonly archiveName: string;
  /** The unlocked office key (binary OpenPGP), transferred; zeroed once read. */
  readonly key: ArrayBuffer;
  readonly to: { kind: 'client-key'; armored: string } | { kind: 'passphrase'; passphrase: string };
}

export type SelfCopyMessage =
  | { chunk: ArrayBuffer }
  | { done: { size: number; sha256: string; manifest: Record<string, unknown> } }
  | { failed: string };

/** Pieces sent and not yet taken by the store: at most IN_FLIGHT × PIECE bytes wait between the threads. */
export const IN_FLIGHT = 4;
const PIECE = 4 << 20;

/** The piece's buffer when it is the piece's own (Buffer.concat of ≥ 4 MiB allocates one), else a copy: the encryption may still use a buffer it wrote into. */
const ownBuffer = (c: Buffer): ArrayBuffer => (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? (c.buffer as ArrayBuffer) : new Uint8Array(c).buffer);

export function run(): void {
  const port = parentPort;
  if (!port) throw new Error('self-copy-worker runs only as a worker thread');
  let credit = IN_FLIGHT;
  let wake: (() => void) | undefined;
  const send = async (c: Buffer) => {
    while (credit <= 0) await new Promise<void>((r) => (wake = r));
    credit--;
    const b = ownBuffer(c);
    port.postMessage({ chunk: b } satisfies SelfCopyMessage, [b]);
  };
  const job = async (j: SelfCopyJob) => {
    const binary = new Uint8Array(j.key);
    try {
      // The key's parameters are views into these bytes (as in unlock-thread.ts): they are zeroed when the job ends, not before.
      const key = await openpgp.readPrivateKey({ binaryKey: binary });
      const to: Recipient = j.to.kind === 'client-key' ? { kind: 'client-key', publicKey: await openpgp.readKey({ armoredKey: j.to.armored }) } : j.to;
      const own = selfCopyFiles(j.copies, j.nenbun, new Date(j.builtAt));
      const sealed = await sealStreamed(own.files, j.archiveName, key, to, own.manifestOf, async (body) => {
        // Gathered into pieces of PIECE bytes: the main thread answers between its own work, so few, large messages.
        let held: Uint8Array[] = [];
        let bytes = 0;
        for await (const c of body as AsyncIterable<Uint8Array>) {
          held.push(c);
          bytes += c.length;
          if (bytes < PIECE) continue;
          await send(Buffer.concat(held, bytes));
          held = [];
          bytes = 0;
        }
        if (bytes) await send(Buffer.concat(held, bytes));
      });
      return { size: sealed.size, sha256: sealed.sha256, manifest: own.manifest() };
    } finally {
      binary.fill(0);
    }
  };
  port.on('message', (m: SelfCopyJob | { ack: number }) => {
    if ('ack' in m) {
      credit += m.ack;
      wake?.();
      wake = undefined;
      return;
    }
    job(m).then(
      (done) => port.postMessage({ done } satisfies SelfCopyMessage),
      // The self-copy path's messages name lines, never a number (self-copy-pdf.ts).
      (err: unknown) => port.postMessage({ failed: err instanceof Error ? err.message : 'Error' } satisfies SelfCopyMessage),
    );
  });
}
