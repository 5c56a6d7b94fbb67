/**
 * What the vault-write phase would cost with one file per record, the layout
 * the embedded vault had before it packed its records into one file
 * (storage-adapters/local-pack.ts). A bare Python loop creates the same
 * number of files of the same size (O_CREAT|O_EXCL, one write, close) in one
 * fresh folder next to kinko's data, then one `sync -f` — no encryption, no
 * database, no checks: the floor of that layout on this filesystem, printed
 * beside kinko's packed write in the same run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SCRIPT = `
import os, sys, time, secrets, subprocess
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = [secrets.token_urlsafe(16) for _ in range(count)]
data = os.urandom(size)
t = time.perf_counter()
for n in names:
    fd = os.open(os.path.join(folder, n), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data)
    os.close(fd)
subprocess.run(["sync", "-f", folder], check=True)
print(int((time.perf_counter() - t) * 1000))
`;

/**
 * Above this many records the floor is not measured: creating and then
 * removing 122,231 files took 8–37 s here and 245,000 several minutes
 * (mostly the removal), for a comparison the 10,000-employee run already makes.
 */
export const FLOOR_MAX_RECORDS = 30_000;

export function rawCreateFloor(parent: string, count: number, size: number): { ms: number } | { skipped: string } {
  if (count > FLOOR_MAX_RECORDS) return { skipped: `over ${FLOOR_MAX_RECORDS.toLocaleString('en-US')} records (slow to create and remove; see the 10,000-employee run)` };
  const folder = fs.mkdtempSync(path.join(parent, 'floor-'));
  try {
    const r = spawnSync('python3', ['-c', SCRIPT, folder, String(count), String(size)], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) return { skipped: `python3 failed: ${(r.stderr || String(r.error)).trim().split('\n').at(-1)}` };
    return { ms: Number(r.stdout.trim()) };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
