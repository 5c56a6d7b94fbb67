import { parentPort } from 'node:worker_threads';
import { SeipdV1Writer, type SymmetricName } from '../lib/seipd-writer.js';

/**
 * Body of an encryption thread (encrypt-thread.ts): runs the SEIPD writers
 * of the plain uploads in flight, so AES-CFB and SHA-1 use the second core
 * while the main thread receives, parses and stores. Plaintext arrives in
 * transferred chunks and leaves as transferred ciphertext; nothing is
 * written anywhere (P1). A stream's session key lives in its writer (in
 * OpenSSL's context) until the stream ends or is dropped.
 */
export type EncryptRequest =
  | { id: number; op: 'start'; algorithm: SymmetricName; key: ArrayBuffer; date: number }
  | { id: number; op: 'data'; chunk: ArrayBuffer; length: number }
  | { id: number; op: 'end' }
  | { id: number; op: 'drop' };

/** One reply per 'data' and per 'end', in order (with the chunk's memory back once the writer no longer needs it); or the kind of failure only. */
export type EncryptReply = { id: number; out: ArrayBuffer; back?: ArrayBuffer } | { id: number; error: string };

/** The pieces in one transferable buffer (pieces may be views of pooled memory, which must never be transferred). */
function pack(parts: Buffer[]): ArrayBuffer {
  let n = 0;
  for (const p of parts) n += p.length;
  // Memory of its own (allocUnsafeSlow never uses the shared pool), filled to the last byte below.
  const out = Buffer.allocUnsafeSlow(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer as ArrayBuffer;
}

export function run(): void {
  const port = parentPort;
  if (!port) throw new Error('not in a worker thread');
  const writers = new Map<number, SeipdV1Writer>();
  port.on('message', (m: EncryptRequest) => {
    try {
      if (m.op === 'start') {
        const key = Buffer.from(m.key);
        try {
          writers.set(m.id, new SeipdV1Writer(m.algorithm, key, new Date(m.date)));
        } finally {
          key.fill(0);
        }
        return;
      }
      if (m.op === 'drop') {
        writers.delete(m.id);
        return;
      }
      const w = writers.get(m.id);
      if (!w) throw new Error('no such stream');
      if (m.op === 'data') {
        const out = pack(w.write(Buffer.from(m.chunk, 0, m.length)));
        const back = w.holdsInput ? undefined : m.chunk;
        port.postMessage({ id: m.id, out, back } satisfies EncryptReply, back ? [out, back] : [out]);
        return;
      }
      writers.delete(m.id);
      const out = pack(w.end());
      port.postMessage({ id: m.id, out } satisfies EncryptReply, [out]);
    } catch (e) {
      writers.delete(m.id);
      port.postMessage({ id: m.id, error: e instanceof Error ? e.name : 'Error' } satisfies EncryptReply);
    }
  });
}
