import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ServerKey } from '../lib/server-key.js';
import { checkpointText, makeCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.js';

/**
 * The folder of signed checkpoints the server writes on a schedule
 * (KINKO_AUDIT_CHECKPOINT_MINUTES, KINKO_AUDIT_CHECKPOINT_DIR; default
 * `<data>/audit-checkpoints/`). It is outside the database on purpose (P6):
 * someone who can only change the database — empty the trail, cut its tail
 * and rewind the head — cannot change these files, and the verifier compares
 * the trail with the furthest of them (issue 12 item 11).
 *
 * Several instances (scaled deployment) may share the folder. Each interval
 * has one file name (`checkpoint-<interval start>.json`), written to a temp
 * name and linked into place: the first instance wins, the others find the
 * name taken and stop (EEXIST), so there is one file per interval and a
 * reader never sees half a file. Instances with folders of their own each
 * write theirs: duplicates prove the same thing and are harmless.
 */
export const KEEP_FILES = 500;
const NAME = /^checkpoint-\d{8}T\d{4}Z\.json$/;

export interface StoredCheckpoint {
  file: string;
  checkpoint: Checkpoint;
}

export type ScheduledOutcome =
  | { kind: 'written'; file: string; seq: number }
  | { kind: 'exists'; file: string }
  | { kind: 'regressed'; seq: number; furthest: StoredCheckpoint };

function slotName(now: Date, intervalMs: number): string {
  const start = new Date(Math.floor(now.getTime() / intervalMs) * intervalMs);
  const stamp = start.toISOString().replace(/[-:]/g, '').slice(0, 13); // 20260102T0300
  return `checkpoint-${stamp}Z.json`;
}

/**
 * The checkpoint with the highest seq among the folder's files that carry a
 * valid signature by `trusted` (this server's key). Unreadable, unsigned or
 * foreign files prove nothing and are counted, not used.
 */
export function furthestCheckpoint(dir: string, trusted: Pick<ServerKey, 'fingerprint'>): { furthest?: StoredCheckpoint; ignored: number } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ignored: 0 };
    throw e;
  }
  let furthest: StoredCheckpoint | undefined;
  let ignored = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const read = readCheckpoint(fs.readFileSync(file, 'utf8'), trusted);
    if (!read.ok) {
      ignored++;
      continue;
    }
    const c = read.checkpoint;
    if (!furthest || c.seq > furthest.checkpoint.seq || (c.seq === furthest.checkpoint.seq && c.at > furthest.checkpoint.at)) furthest = { file, checkpoint: c };
  }
  return { furthest, ignored };
}

/**
 * This interval's checkpoint, unless one exists. Refuses to sign a head
 * behind the furthest checkpoint: that trail lost entries, and signing it
 * would hand the next verification a shorter yardstick.
 */
export async function writeScheduledCheckpoint(
  db: Kysely<Database>,
  key: ServerKey,
  opts: { dir: string; now: Date; intervalMs: number },
): Promise<ScheduledOutcome> {
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const file = path.join(opts.dir, slotName(opts.now, opts.intervalMs));
  if (fs.existsSync(file)) return { kind: 'exists', file };
  const checkpoint = await makeCheckpoint(db, key, opts.now);
  const { furthest } = furthestCheckpoint(opts.dir, key);
  if (furthest && checkpoint.seq < furthest.checkpoint.seq) return { kind: 'regressed', seq: checkpoint.seq, furthest };

  const tmp = path.join(opts.dir, `.tmp-${randomBytes(8).toString('hex')}`);
  fs.writeFileSync(tmp, checkpointText(checkpoint), { flag: 'wx', mode: 0o600, flush: true });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { kind: 'exists', file };
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  prune(opts.dir);
  return { kind: 'written', file, seq: checkpoint.seq };
}

/** Keeps the newest KEEP_FILES interval files; the newest carries the highest seq, so nothing provable is lost. */
function prune(dir: string): void {
  const names = fs.readdirSync(dir).filter((n) => NAME.test(n)).sort();
  for (const n of names.slice(0, Math.max(0, names.length - KEEP_FILES))) fs.rmSync(path.join(dir, n), { force: true });
}
