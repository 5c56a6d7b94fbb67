/**
 * Temp files that interrupted puts left in `<root>/.tmp/` (issue 12 item 7).
 * A put removes its own temp file when it fails, but not when the process is
 * killed mid-upload: then ciphertext-sized files pile up until the disk is
 * full. They are never anything but half an object nobody holds a receipt for.
 *
 * Several processes may share a folder (a `kinko` command next to the server,
 * or instances on a shared mount), so a file is removed only when (a) no put
 * of this process is writing it and (b) nobody has written to it for
 * `olderThanMs`: a running put appends all the time, which keeps the mtime
 * fresh. Should another process's upload stall longer than that, its put fails
 * at the rename (ENOENT) and the client gets an error, never a false receipt.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, isMissing } from './local-paths.js';
import type { TempSweepResult } from './types.js';

export async function sweepLocalTemp(
  tmpDir: string,
  opts: { olderThanMs: number; now: number; busy: ReadonlySet<string> },
): Promise<TempSweepResult> {
  const cutoff = opts.now - opts.olderThanMs;
  let checked = 0;
  let removed = 0;
  for await (const ent of await fs.opendir(tmpDir)) {
    checked++;
    if (opts.busy.has(ent.name)) continue;
    const full = path.join(tmpDir, ent.name);
    const st = await fs.lstat(full).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
    // A folder here is nobody's temp file (puts write plain files); leave it for a person.
    if (!st || st.isDirectory() || st.mtimeMs > cutoff) continue;
    await fs.unlink(full).then(
      () => removed++,
      (e: unknown) => {
        if (!isMissing(e)) throw e; // removed meanwhile by another process: fine
      },
    );
  }
  if (removed) await fsyncDir(tmpDir);
  return { checked, removed };
}
