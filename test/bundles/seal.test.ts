import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as openpgp from 'openpgp';
import { bundlePassphrase, fileEntry, sealBundle } from '../../server/bundles/seal/seal.js';
import { generateOfficeKey } from '../../server/keys/office-key.js';

/**
 * The seal (issue 15 §4, design §3): one archive in one OpenPGP message,
 * signed with the office key, encrypted to the client's key or to a
 * generated passphrase. GnuPG — what a client or the office opens it with —
 * decrypts it and verifies the signature against the office public key.
 */
function gpg(home: string, args: string[], input?: Buffer) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--status-fd', '2', ...args], { input, env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000 });
}

describe('sealing a bundle (GnuPG interop)', () => {
  let home: string;
  let officeKey: openpgp.PrivateKey;
  let officeFingerprint: string;
  const csv = Buffer.from('315,,,東京都,株式会社金庫\r\n', 'utf8');
  const files = [{ name: 'gensen-R07.csv', bytes: csv }, { name: 'manifest.json', bytes: Buffer.from('{"rows":1}') }];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-seal-'));
    fs.chmodSync(home, 0o700);
    const k = await generateOfficeKey('テスト事務所', 'office-key-passphrase');
    officeFingerprint = k.fingerprint.toUpperCase();
    officeKey = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: k.lockedPrivateKeyArmored }), passphrase: 'office-key-passphrase' });
    expect(gpg(home, ['--import'], Buffer.from(k.publicKeyArmored)).status).toBe(0);
  });
  afterAll(() => {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
    fs.rmSync(home, { recursive: true, force: true });
  });

  function opened(out: ReturnType<typeof gpg>) {
    const status = out.stderr.toString();
    expect(out.status).toBe(0);
    expect(status).toContain('[GNUPG:] GOODSIG');
    expect(status).toContain(`[GNUPG:] VALIDSIG ${officeFingerprint}`);
    const entries = unzipSync(new Uint8Array(out.stdout));
    expect(Object.keys(entries).sort()).toEqual(['gensen-R07.csv', 'manifest.json']);
    expect(Buffer.from(entries['gensen-R07.csv']!).equals(csv)).toBe(true);
  }

  it('when sealed to a generated passphrase, gpg --decrypt opens it with that passphrase and verifies the office signature', async () => {
    const passphrase = bundlePassphrase();
    expect(passphrase).toMatch(/^([A-Za-z0-9]{5}-){5}[A-Za-z0-9]{5}$/);
    const sealed = await sealBundle(files, 'gensen.zip', officeKey, { kind: 'passphrase', passphrase });
    const out = gpg(home, ['--pinentry-mode', 'loopback', '--passphrase', passphrase, '--decrypt'], Buffer.from(sealed.message));
    opened(out);
    const wrong = gpg(home, ['--pinentry-mode', 'loopback', '--passphrase', 'not-it', '--decrypt'], Buffer.from(sealed.message));
    expect(wrong.status).not.toBe(0);
  });

  it("when sealed to the client's own key, only that key's holder opens it, and the signature verifies", async () => {
    const client = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: '株式会社テスト商事' }], format: 'object' });
    const sealed = await sealBundle(files, 'gensen.zip', officeKey, { kind: 'client-key', publicKey: client.publicKey });
    expect(sealed.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(gpg(home, ['--decrypt'], Buffer.from(sealed.message)).status).not.toBe(0); // no secret key yet
    expect(gpg(home, ['--import'], Buffer.from(client.privateKey.armor())).status).toBe(0);
    opened(gpg(home, ['--decrypt'], Buffer.from(sealed.message)));
  });

  it('the sealed message does not contain the archive in the clear, and the manifest entry names size and hash', async () => {
    const sealed = await sealBundle(files, 'gensen.zip', officeKey, { kind: 'passphrase', passphrase: bundlePassphrase() });
    expect(Buffer.from(sealed.message).includes(csv)).toBe(false);
    expect(Buffer.from(sealed.message).includes(Buffer.from('gensen-R07.csv'))).toBe(false);
    expect(fileEntry(files[0]!)).toEqual({ name: 'gensen-R07.csv', size: csv.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
