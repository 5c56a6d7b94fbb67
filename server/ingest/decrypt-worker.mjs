// Body of the decrypt thread (decrypt-thread.ts): one message's bulk
// decryption, off the main thread (issue 12 item 10: a 50 MB drop decrypted
// on the main thread stalled every page for a second). It gets the
// ciphertext and that message's session key only — never the office key,
// which stays on the main thread (P4) — and answers with the plaintext in
// memory (P1), transferred, not copied. openpgp.js checks the integrity tag
// (MDC/AEAD) and the decompression cap here exactly as on the main thread.
// Plain JavaScript: it needs no loader, and openpgp loads natively.
import { parentPort, workerData } from 'node:worker_threads';
import * as openpgp from 'openpgp';

const { ciphertext, sessionKey, maxBytes } = workerData;

async function decrypt() {
  const config = { maxDecompressedMessageSize: maxBytes, allowUnauthenticatedStream: false };
  const message = await openpgp.readMessage({ binaryMessage: new Uint8Array(ciphertext), config });
  const { data } = await openpgp.decrypt({ message, sessionKeys: sessionKey, format: 'binary', config });
  if (data.byteLength > maxBytes) return { ok: false, code: 'tooBig', detail: 'plaintext over the size limit' };
  return { ok: true, plaintext: data };
}

let reply;
try {
  reply = await decrypt();
} catch (e) {
  const msg = e instanceof Error ? e.message : '';
  // Never the library's text (it could echo packet contents): a code and the error's kind.
  reply = /decompressed|too large|maxDecompressed/i.test(msg)
    ? { ok: false, code: 'tooBig', detail: 'decompression cap' }
    : { ok: false, code: 'corruptMessage', detail: e instanceof Error ? e.name : 'decrypt failed' };
}
if (reply.ok) {
  const bytes = reply.plaintext;
  // Its own ArrayBuffer, so the transfer moves exactly the plaintext.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  parentPort.postMessage({ ok: true, plaintext: own.buffer }, [own.buffer]);
} else parentPort.postMessage(reply);
