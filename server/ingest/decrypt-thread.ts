import { Worker } from 'node:worker_threads';
import type * as openpgp from 'openpgp';

/**
 * Runs the bulk of one drop's decryption on a thread of its own
 * (decrypt-worker.mjs), so the web tier keeps answering while a large drop
 * is decrypted (issue 12 item 10). The caller has already opened the
 * message's session key with the office key on the main thread; the thread
 * sees only that one message's session key and its ciphertext, which is
 * transferred to it (not copied). The plaintext comes back transferred too,
 * and lives only in memory (P1).
 */
const SCRIPT = new URL('./decrypt-worker.mjs', import.meta.url);

export type DecryptReply = { ok: true; plaintext: ArrayBuffer } | { ok: false; code: 'tooBig' | 'corruptMessage'; detail?: string };

export function decryptOnThread(ciphertext: Uint8Array, sessionKey: openpgp.SessionKey, maxBytes: number): Promise<DecryptReply> {
  // Transferred when the caller's buffer is exactly its ArrayBuffer (Buffer.concat of a large drop is); else a copy it can own.
  const own = ciphertext.byteOffset === 0 && ciphertext.byteLength === ciphertext.buffer.byteLength ? ciphertext : new Uint8Array(ciphertext);
  const worker = new Worker(SCRIPT, {
    workerData: { ciphertext: own.buffer, sessionKey, maxBytes },
    transferList: [own.buffer as ArrayBuffer],
    // Nothing from the environment or the process's flags (`--import tsx` would load tsx again in the thread).
    env: {},
    execArgv: [],
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (reply: DecryptReply) => {
      if (done) return;
      done = true;
      void worker.terminate().finally(() => resolve(reply));
    };
    worker.once('message', (reply: DecryptReply) => finish(reply));
    // `on`, not `once`: an 'error' event without a listener would take the whole process down.
    worker.on('error', (e: Error & { code?: string }) =>
      finish({ ok: false, code: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'tooBig' : 'corruptMessage', detail: `decrypt thread failed (${e.code ?? e.name})` }),
    );
    worker.once('exit', (code) => finish({ ok: false, code: 'corruptMessage', detail: `decrypt thread exited (${code})` }));
  });
}
