import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../server/config.js';
import { buildStorage } from '../../storage-adapters/index.js';
import { readText } from './streams.js';

const signingSecret = 'a'.repeat(44);

describe('buildStorage', () => {
  it('when storage is local, then drops and vault are separate folders under the data folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-build-'));
    try {
      const config = loadConfig({ KINKO_DATA_DIR: dir, KINKO_PUBLIC_URL: 'https://kinko.example.jp' });
      const { drops, vault } = await buildStorage(config, { signingSecret });
      expect([drops.name, drops.kind, vault.name, vault.kind]).toEqual(['drops', 'local', 'vault', 'local']);
      await drops.put('same-id', Readable.from([Buffer.from('drop')]));
      await expect(vault.head('same-id')).rejects.toThrow('no such object');
      expect(await readText(await drops.get('same-id'))).toBe('drop');
      expect(fs.existsSync(path.join(dir, 'drops', 'same-id'))).toBe(true);
      expect(await drops.downloadUrl('same-id', 60)).toMatch(/^https:\/\/kinko\.example\.jp\/files\/drops\/same-id\?exp=\d+&sig=/);
      // Sealed year-end bundles: a third folder of their own (issue 15).
      const { bundles } = await buildStorage(config, { signingSecret });
      expect([bundles.name, bundles.kind]).toEqual(['bundles', 'local']);
      await expect(bundles.head('same-id')).rejects.toThrow('no such object');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when storage is s3, then drops and vault are S3 adapters on their own buckets, built without any request', async () => {
    const config = loadConfig({
      KINKO_STORAGE: 's3',
      KINKO_S3_ENDPOINT: 'http://127.0.0.1:1',
      KINKO_S3_DROPS_BUCKET: 'kinko-drops',
      KINKO_S3_VAULT_BUCKET: 'kinko-vault',
      KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles',
      KINKO_S3_FORCE_PATH_STYLE: 'true',
    });
    const { drops, vault, bundles } = await buildStorage(config, { signingSecret });
    expect([drops.name, drops.kind, vault.name, vault.kind]).toEqual(['drops', 's3', 'vault', 's3']);
    expect([bundles.name, bundles.kind]).toEqual(['bundles', 's3']);
  });
});
