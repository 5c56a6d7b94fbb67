import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Server secrets that must not live in the database: the signing secret
 * (download URLs, CSRF) and the audit MAC key (P6: a database-only attacker
 * must not be able to recompute the chain). Taken from the environment when set
 * (several instances must share them), otherwise created once as 0600 files
 * under the data folder's secrets/ directory.
 */
export function loadOrCreateSecret(secretsDir: string, name: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, fromEnv.includes('-') || fromEnv.includes('_') ? 'base64url' : 'base64');
  const file = path.join(secretsDir, `${name}.key`);
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(32);
  try {
    // 'wx': if another process created it in the meantime, keep theirs.
    fs.writeFileSync(file, value.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    throw err;
  }
}
