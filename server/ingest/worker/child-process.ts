import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerReady } from './protocol.js';

/**
 * A parse process: the boundary a hostile file cannot cross (issue 12).
 * A worker thread's heap limit is not one: one huge array made V8 abort the
 * whole server ("Reached heap limit", node issue 47224), and its
 * `resourceLimits` leave ArrayBuffers out, so an inflate bomb grew the
 * server by gigabytes. A child process takes both down with it alone:
 *
 * - memory: the parent reads the child's resident set (/proc/<pid>/statm)
 *   every RSS_POLL_MS and kills it (SIGKILL) past `memoryMiB` — heap,
 *   buffers, zlib and pdf.js alike; V8's own heap cap is the same number;
 * - no core file: an abort would dump the plaintext to disk (P1), so the
 *   shell that starts node sets the core size limit to 0 first;
 * - nothing to leak: an empty environment, no flags of the parent's
 *   (`--import tsx`, `--inspect`), stdout/stderr to /dev/null (a library
 *   warning could quote the file);
 * - P1: the file goes in over the child's stdin pipe and the answer comes
 *   back over the IPC channel — kernel pipes, never a file.
 */
export const RSS_POLL_MS = 20;
const PAGE_BYTES = 4096;
const SEMI_SPACE_MB = 16;
const ENTRY = new URL('./entry.mjs', import.meta.url);

export interface ParseChild {
  proc: ChildProcess;
  memoryMiB: number;
  /** Resolves once the child has loaded the parser (and warmed it up, for a spare); rejects if it died first. */
  ready: Promise<void>;
}

/** Resident bytes of a process, or undefined where /proc cannot tell (gone, or not Linux). */
export function residentBytes(pid: number): number | undefined {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    return Number.isFinite(pages) ? pages * PAGE_BYTES : undefined;
  } catch {
    return undefined;
  }
}

export function spawnParseChild(script: string | null, memoryMiB: number, warmUp: boolean): ParseChild {
  const node = [process.execPath, `--max-old-space-size=${memoryMiB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, '--disallow-code-generation-from-strings', fileURLToPath(ENTRY)];
  const proc = spawn('/bin/sh', ['-c', 'ulimit -c 0 && exec "$@"', 'kinko-parse', ...node], {
    env: {},
    stdio: ['pipe', 'ignore', 'ignore', 'ipc'],
    serialization: 'advanced',
  });
  // A pipe error (the child died while the file was being written) is answered by the child's 'exit'.
  proc.stdin?.on('error', () => {});
  proc.on('error', () => {});
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (m: WorkerReady) => {
      if (!m?.ready) return;
      proc.off('exit', onExit);
      proc.off('message', onMessage);
      resolve();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      proc.off('message', onMessage);
      reject(new Error(`parse process ended before it was ready (${signal ?? code})`));
    };
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
  ready.catch(() => {});
  proc.send({ script, warmUp });
  return { proc, memoryMiB, ready };
}

/**
 * Kills `proc` once its resident set passes `capBytes`; `onOver` is told
 * first. Returns a function that stops watching and gives the peak seen.
 */
export function watchMemory(proc: ChildProcess, capBytes: number, onOver: (rss: number) => void): () => number {
  let peak = 0;
  const check = () => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const rss = residentBytes(proc.pid);
    if (rss === undefined) return;
    if (rss > peak) peak = rss;
    if (rss > capBytes) {
      clearInterval(timer);
      onOver(rss);
      proc.kill('SIGKILL');
    }
  };
  const timer = setInterval(check, RSS_POLL_MS);
  check();
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** Ends a child for good and resolves once it is gone (its memory, with the plaintext, with it). */
export function endChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** An idle child must not keep the server running (nor a test, nor a CLI command). */
export function holdOpen(proc: ChildProcess, hold: boolean): void {
  const handles = [proc, proc.channel, proc.stdin] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const h of handles) (hold ? h?.ref : h?.unref)?.call(h);
}
