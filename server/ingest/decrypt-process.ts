import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as openpgp from 'openpgp';

/**
 * Runs the bulk of one large drop's decryption in a process of its own
 * (decrypt-worker.mjs), so the web tier keeps answering while it runs and
 * openpgp.js's working copies of the message never count against the
 * server's memory (issue 12 item 10). The caller has already opened the
 * message's session key with the office key; the process sees only that
 * one message's session key and its ciphertext (stdin). The plaintext comes
 * back over its stdout pipe into one buffer of the announced size, and lives
 * only in memory (P1). No core file (ulimit -c 0: an abort would dump the
 * plaintext), an empty environment, stderr to /dev/null.
 */
const SCRIPT = fileURLToPath(new URL('./decrypt-worker.mjs', import.meta.url));

export type DecryptReply = { ok: true; plaintext: Buffer } | { ok: false; code: 'tooBig' | 'corruptMessage'; detail?: string };
type Announce = { ready: true } | { ok: true; size: number } | { ok: false; code: 'tooBig' | 'corruptMessage'; detail?: string };

export function decryptInProcess(ciphertext: Uint8Array, sessionKey: openpgp.SessionKey, maxBytes: number): Promise<DecryptReply> {
  const proc = spawn('/bin/sh', ['-c', 'ulimit -c 0 && exec "$@"', 'kinko-decrypt', process.execPath, SCRIPT], {
    env: {},
    stdio: ['pipe', 'pipe', 'ignore', 'ipc'],
    serialization: 'advanced',
  });
  proc.on('error', () => {});
  proc.stdin!.on('error', () => {});
  return new Promise((resolve) => {
    let done = false;
    let into: Buffer | undefined;
    let at = 0;
    const finish = (reply: DecryptReply) => {
      if (done) return;
      done = true;
      if (!reply.ok) into?.fill(0);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      resolve(reply);
    };
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (!into || at + chunk.length > into.length) return finish({ ok: false, code: 'corruptMessage', detail: 'decrypt process wrote more than announced' });
      chunk.copy(into, at);
      at += chunk.length;
    });
    proc.stdout!.once('end', () => {
      if (into && at === into.length) finish({ ok: true, plaintext: into });
    });
    proc.on('message', (m: Announce) => {
      if ('ready' in m) {
        proc.send({ size: ciphertext.byteLength, sessionKey, maxBytes });
        proc.stdin!.end(ciphertext);
      } else if (!m.ok) finish(m);
      else if (m.size > maxBytes) finish({ ok: false, code: 'tooBig', detail: 'plaintext over the size limit' });
      else {
        into = Buffer.alloc(m.size);
        if (m.size === 0) finish({ ok: true, plaintext: into });
      }
    });
    proc.once('exit', (code, signal) => {
      // Output may still be draining after exit: give the pipe its end first.
      setImmediate(() => {
        if (into && at === into.length) return finish({ ok: true, plaintext: into });
        finish({ ok: false, code: 'corruptMessage', detail: `decrypt process exited (${signal ?? code})` });
      });
    });
  });
}
