/**
 * Can this folder take a write right now? For health and doctor (issue 12
 * item 9): a folder that exists and is writable by permission still refuses
 * every upload when its filesystem is full, and `/healthz` said ok at 100%.
 * Two checks: free space for unprivileged writers below `minFreeBytes`, and
 * a real write (a probe file of one block, removed) — the latter also
 * catches quotas and read-only remounts that statfs does not show (open and
 * write report them). The probe is not fsync'd: on a disk busy with a large
 * commit's log sync, a small file's sync waited behind it for seconds, and
 * /healthz said both storage locations failed in the middle of an ingest
 * (CI, stop 25) — a load balancer would have taken a working instance out.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_MIN_FREE_BYTES = 8 * 1024 * 1024;
const PROBE_BYTES = 4096;

/** Throws an Error whose `code` says why (ENOSPC for too little space), with free bytes in the message. */
export async function assertWritable(dir: string, minFreeBytes: number): Promise<void> {
  const st = await fs.statfs(dir);
  const free = st.bavail * st.bsize;
  if (free < minFreeBytes) {
    throw Object.assign(new Error(`only ${mib(free)} free, below the ${mib(minFreeBytes)} kinko keeps in reserve`), { code: 'ENOSPC' });
  }
  const probe = path.join(dir, `.probe-${randomBytes(8).toString('hex')}`);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(probe, 'wx', 0o600);
    await fh.write(Buffer.alloc(PROBE_BYTES));
  } finally {
    await fh?.close().catch(() => {});
    await fs.rm(probe, { force: true });
  }
}

/** "ENOSPC: only 0.5 MiB free, …" — the system's code first, for the operator. */
export function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const message = (e as Error).message ?? String(e);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
