/**
 * A vault folder from before the packed store held one file per record
 * (`<root>/<token>`, written by local.ts, with a `.tmp` folder for its
 * staging files). The first time the packed store opens such a folder it
 * takes those records in — nothing is lost by upgrading:
 *
 *  1. every regular file directly in the folder whose name is a valid key
 *     and whose size a record can have is inserted, keeping its time, in one
 *     transaction (INSERT OR IGNORE: a record already in the store wins);
 *  2. only after that commit (durable: synchronous FULL) are the files
 *     removed, then the old staging folder. A crash in between leaves files
 *     the next open takes in again, harmlessly.
 *
 * Symlinks, folders and anything else are left where they are.
 */
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { isValidKey } from './keys.js';

export const OLD_STAGING_DIR = '.tmp';

/** Takes in one-file-per-record objects left in `root`; returns how many. */
export function importLooseRecords(db: Database.Database, root: string, packFile: string, maxBytes: number): number {
  const loose: Array<{ key: string; file: string; bytes: Buffer; modifiedMs: number }> = [];
  for (const ent of fs.readdirSync(root, { withFileTypes: true })) {
    if (!ent.isFile() || ent.name.startsWith(packFile) || !isValidKey(ent.name)) continue;
    const file = path.join(root, ent.name);
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > maxBytes) continue;
    loose.push({ key: ent.name, file, bytes: fs.readFileSync(file), modifiedMs: Math.floor(st.mtimeMs) });
  }
  if (loose.length) {
    const insert = db.prepare('INSERT OR IGNORE INTO objects (key, bytes, modified_ms) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (const r of loose) insert.run(r.key, r.bytes, r.modifiedMs);
    }).immediate();
    for (const r of loose) fs.rmSync(r.file, { force: true });
  }
  const staging = path.join(root, OLD_STAGING_DIR);
  if (fs.lstatSync(staging, { throwIfNoEntry: false })?.isDirectory()) fs.rmSync(staging, { recursive: true, force: true });
  if (loose.length) {
    const dir = fs.openSync(root, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
  return loose.length;
}
