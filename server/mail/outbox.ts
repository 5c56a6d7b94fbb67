import fs from 'node:fs/promises';
import path from 'node:path';
import { randomId } from '../lib/random.js';

/**
 * Writes one message into the outbox folder as `<time>-<random>.eml`.
 * Temp file then rename: a reader (a person, a mail pick-up script) never sees
 * half a message, and a crash leaves at most a hidden `.tmp` file. Owner-only
 * permissions: the outbox names clients and staff addresses.
 * Returns the file name (not the path).
 */
export async function writeToOutbox(dir: string, message: Buffer, now: Date = new Date()): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  const name = `${stamp}-${randomId(9)}.eml`;
  const tmp = path.join(dir, `.${name}.tmp`);
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(message);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, path.join(dir, name));
  } catch (err) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return name;
}
