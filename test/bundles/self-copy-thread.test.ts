import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { unzipSync } from 'fflate';
import * as openpgp from 'openpgp';
import { layoutFor } from '../../server/bundles/layout/layouts.js';
import { toPayRow } from '../../server/bundles/read/typed-row.js';
import { buildSelfCopy } from '../../server/bundles/self-copy.js';
import { sealSelfCopies } from '../../server/bundles/self-copy-thread.js';
import { unifiedCells } from './fixtures.js';

/**
 * The 本人交付 bundle sealed on its own thread and, when no thread can be had,
 * on the main thread: either way one OpenPGP message the passphrase opens,
 * signed by the office key, holding each employee's PDF, the combined one
 * and a manifest whose hashes are the files'; size and SHA-256 are the
 * stored bytes'. A refusal in the PDFs (a 12-digit run) fails the run and
 * stores no complete message.
 */
const L7 = layoutFor(7)!;
const copyOf = (line: number, over: Record<number, string> = {}) => buildSelfCopy(toPayRow(unifiedCells(over), line, L7).row!).copy!;

async function collect(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('sealing the 本人交付 bundle', () => {
  for (const thread of [true, false]) {
    it(`${thread ? 'on its own thread' : 'on the main thread'}: the passphrase opens it, the office signature checks, every file is in the manifest`, async () => {
      const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'office' }], format: 'object' });
      const copies = [1, 2, 3].map((l) => copyOf(l));
      let stored: Buffer = Buffer.alloc(0);
      const run = sealSelfCopies(copies, 7, new Date('2026-01-10T00:00:00Z'), 'kinko_R07_honnin.zip', privateKey, { kind: 'passphrase', passphrase: 'aaaaa-bbbbb' }, async (body) => {
        stored = await collect(body);
      }, { thread });
      const sealed = await run.done;
      expect(sealed.size).toBe(stored.length);
      expect(sealed.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
      const { data, signatures } = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: stored }), passwords: ['aaaaa-bbbbb'], verificationKeys: publicKey, format: 'binary', expectSigned: true });
      await signatures[0]!.verified;
      const files = unzipSync(data as Uint8Array);
      const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as { files: { name: string; sha256: string }[]; rows: number; numbers: string };
      expect(manifest.rows).toBe(3);
      expect(manifest.numbers).toBe('none');
      expect(Object.keys(files).filter((n) => n.endsWith('.pdf')).sort()).toEqual(manifest.files.map((f) => f.name).sort());
      for (const f of manifest.files) expect(createHash('sha256').update(files[f.name]!).digest('hex')).toBe(f.sha256);
      expect(manifest.files.map((f) => f.name)).toContain('honnin_R07_all.pdf');
    }, 60_000);
  }

  it('a copy that would print a 12-digit run stops the run: the thread says which line, and no message is completed', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'office' }], format: 'object' });
    const bad = { ...copyOf(2), tekiyo: '前職 1234 5678 9012' };
    let completed = false;
    const run = sealSelfCopies([copyOf(1), bad], 7, new Date(), 'x.zip', privateKey, { kind: 'passphrase', passphrase: 'p' }, async (body) => {
      await collect(body);
      completed = true;
    });
    await expect(run.done).rejects.toThrow(/line 2/);
    expect(completed).toBe(false);
  }, 60_000);
});
