// Body of a decrypt process (decrypt-process.ts): the bulk of one large
// drop's decryption, off the server's main thread and out of its memory
// (issue 12 item 10: a 50 MB drop decrypted on the main thread stalled every
// page for a second; openpgp.js holds several copies of a message while it
// checks the integrity tag, which a process returns to the system on exit).
// It gets the ciphertext on stdin and that message's session key over IPC —
// never the office key, which stays in the server (P4) — and writes the
// plaintext to stdout, a pipe (P1). openpgp.js checks the integrity tag
// (MDC/AEAD) and the decompression cap here exactly as in the server.
// Plain JavaScript: it needs no loader, and openpgp loads natively.
import * as openpgp from 'openpgp';

process.on('disconnect', () => process.exit(0));

async function readStdin(size) {
  const bytes = new Uint8Array(size);
  let at = 0;
  for await (const chunk of process.stdin) {
    if (at + chunk.length > size) throw new Error('more input than announced');
    bytes.set(chunk, at);
    at += chunk.length;
  }
  if (at !== size) throw new Error('input ended early');
  return bytes;
}

async function decrypt({ size, sessionKey, maxBytes }) {
  const config = { maxDecompressedMessageSize: maxBytes, allowUnauthenticatedStream: false };
  const message = await openpgp.readMessage({ binaryMessage: await readStdin(size), config });
  const { data } = await openpgp.decrypt({ message, sessionKeys: sessionKey, format: 'binary', config });
  if (data.byteLength > maxBytes) return { reply: { ok: false, code: 'tooBig', detail: 'plaintext over the size limit' } };
  return { reply: { ok: true, size: data.byteLength }, data };
}

process.once('message', async (job) => {
  let out;
  try {
    out = await decrypt(job);
  } catch (e) {
    const msg = e instanceof Error ? e.message : '';
    // Never the library's text (it could echo packet contents): a code and the error's kind.
    out = {
      reply: /decompressed|too large|maxDecompressed/i.test(msg)
        ? { ok: false, code: 'tooBig', detail: 'decompression cap' }
        : { ok: false, code: 'corruptMessage', detail: e instanceof Error ? e.name : 'decrypt failed' },
    };
  }
  process.send(out.reply);
  if (out.data) process.stdout.end(out.data, () => process.exit(0));
  else process.exit(0);
});
process.send({ ready: true });
