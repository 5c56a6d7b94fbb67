import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { KeyHolderConflict, KeyPassphraseMustChange, KeyPassphraseProblem, NotKeyHolder, WrongKeyPassphrase } from '../../server/keys/errors.js';
import {
  changeHolderPassphrase,
  createHolderCopy,
  generateOfficeKey,
  keyHolderStatus,
  officePublicKey,
  readOfficePublicKey,
  removeHolderCopy,
  unlockOfficeKey,
} from '../../server/keys/office-key.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { makeCompany, makeUser } from '../helpers/actors.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';

function gpg(home: string, args: string[], input?: Buffer) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args], {
    input,
    env: { ...process.env, LANG: 'C', LC_ALL: 'C' },
    timeout: 60_000,
  });
}

async function auditActions(t: TestApp): Promise<string[]> {
  return (await t.deps.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
}

describe('the office key', () => {
  let t: TestApp;
  let gpgHome: string;
  let office: Awaited<ReturnType<typeof setUpOffice>>;

  beforeAll(async () => {
    t = await makeTestApp();
    gpgHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-gpg-'));
    fs.chmodSync(gpgHome, 0o700);
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(gpgHome, { recursive: true, force: true });
  });

  it('before setup, /office-key.asc is a plain 404', async () => {
    expect(await officePublicKey(t.deps.db)).toBeNull();
    expect((await request(t.app).get('/office-key.asc')).status).toBe(404);
  });

  it('a generated key is curve25519Legacy, with the private key locked by the passphrase', async () => {
    const k = await generateOfficeKey('事務所', 'a-long-enough-passphrase');
    const pub = await openpgp.readKey({ armoredKey: k.publicKeyArmored });
    expect(pub.isPrivate()).toBe(false);
    expect(pub.getAlgorithmInfo()).toMatchObject({ algorithm: 'eddsaLegacy', curve: 'ed25519Legacy' });
    expect(pub.subkeys[0]!.getAlgorithmInfo()).toMatchObject({ algorithm: 'ecdh', curve: 'curve25519Legacy' });
    expect(pub.keyPacket.version).toBe(4);
    const priv = await openpgp.readPrivateKey({ armoredKey: k.lockedPrivateKeyArmored });
    expect(priv.isDecrypted()).toBe(false);
    expect(priv.getFingerprint()).toBe(k.fingerprint);
  });

  it('after setup, the public key is served at a stable URL as application/pgp-keys', async () => {
    office = await setUpOffice(t.deps);
    const res = await request(t.app).get('/office-key.asc');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/pgp-keys/);
    expect(res.text).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(res.text).not.toContain('PRIVATE');
    expect((await openpgp.readKey({ armoredKey: res.text })).getFingerprint()).toBe(office.fingerprint);
    expect((await request(t.app).get('/office-key.asc')).text).toBe(res.text);
    expect((await readOfficePublicKey(t.deps.db))!.getFingerprint()).toBe(office.fingerprint);
  });

  it('GnuPG imports the served key, encrypts a file to it, and kinko decrypts it with the passphrase to the same bytes', async () => {
    const served = Buffer.from((await request(t.app).get('/office-key.asc')).text);
    const imp = gpg(gpgHome, ['--import'], served);
    expect(imp.status).toBe(0);
    const listed = gpg(gpgHome, ['--with-colons', '--fingerprint', office.fingerprint]);
    expect(listed.stdout.toString()).toContain(office.fingerprint.toUpperCase());

    const plain = randomBytes(200_000);
    const enc = gpg(gpgHome, ['--trust-model', 'always', '-e', '-r', office.fingerprint, '-o', '-'], plain);
    expect(enc.status).toBe(0);
    const key = await unlockOfficeKey(t.deps, office.directorId, DIRECTOR.keyPassphrase);
    expect(key.isDecrypted()).toBe(true);
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: enc.stdout }),
      decryptionKeys: key,
      format: 'binary',
    });
    expect(Buffer.from(data).equals(plain)).toBe(true);
  });

  it('a signature made with the office key verifies in GnuPG (and a changed file does not)', async () => {
    const file = path.join(gpgHome, 'bundle.bin');
    const content = randomBytes(5000);
    fs.writeFileSync(file, content);
    const key = await unlockOfficeKey(t.deps, office.directorId, DIRECTOR.keyPassphrase);
    const sig = await openpgp.sign({ message: await openpgp.createMessage({ binary: content }), signingKeys: key, detached: true });
    fs.writeFileSync(`${file}.asc`, sig);
    const ok = gpg(gpgHome, ['--verify', `${file}.asc`, file]);
    expect(ok.status).toBe(0);
    expect(ok.stderr.toString()).toContain('Good signature');
    fs.writeFileSync(file, Buffer.concat([content, Buffer.from('x')]));
    expect(gpg(gpgHome, ['--verify', `${file}.asc`, file]).status).not.toBe(0);
  });

  it('a wrong passphrase fails cleanly with a typed error and an i18n message', async () => {
    const err = await unlockOfficeKey(t.deps, office.directorId, 'not-the-passphrase').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongKeyPassphrase);
    expect((err as WrongKeyPassphrase).messageKey).toBe('keys.errors.wrongPassphrase');
    expect((err as WrongKeyPassphrase).status).toBe(400);
    await expect(unlockOfficeKey(t.deps, office.directorId, '')).rejects.toBeInstanceOf(WrongKeyPassphrase);
    await expect(unlockOfficeKey(t.deps, 'nobody', DIRECTOR.keyPassphrase)).rejects.toBeInstanceOf(NotKeyHolder);
  });

  describe('key holders', () => {
    let staff: Awaited<ReturnType<typeof makeUser>>;
    let oneTime: string;
    const newPassphrase = 'staff-own-key-passphrase';

    it('the director designates a staff member: a copy under a one-time passphrase, which must be changed first', async () => {
      staff = await makeUser(t.deps, { role: 'staff' });
      const before = (await auditActions(t)).length;
      ({ oneTimePassphrase: oneTime } = await createHolderCopy(t.deps, {
        byUserId: office.directorId,
        byPassphrase: DIRECTOR.keyPassphrase,
        forUserId: staff.id,
        now: t.deps.clock.now(),
      }));
      expect(oneTime).toMatch(/^[A-Za-z2-9]{20}$/);
      const copy = await t.deps.db.selectFrom('key_copies').selectAll().where('user_id', '=', staff.id).executeTakeFirstOrThrow();
      expect(copy).toMatchObject({ must_change: 1, created_by: office.directorId, fingerprint: office.fingerprint });
      expect((await t.deps.db.selectFrom('users').select('key_holder').where('id', '=', staff.id).executeTakeFirstOrThrow()).key_holder).toBe(1);
      expect(await keyHolderStatus(t.deps.db, staff.id)).toEqual({ holder: true, mustChange: true });
      expect((await auditActions(t)).slice(before)).toEqual(['key.holder.add']);
      // Until changed, the one-time passphrase does not open the key for use; the director's does not open it at all.
      await expect(unlockOfficeKey(t.deps, staff.id, oneTime)).rejects.toBeInstanceOf(KeyPassphraseMustChange);
      await expect(unlockOfficeKey(t.deps, staff.id, DIRECTOR.keyPassphrase)).rejects.toBeInstanceOf(WrongKeyPassphrase);
    });

    it('designation needs the director’s right passphrase, an eligible person, and happens once', async () => {
      const other = await makeUser(t.deps, { role: 'staff' });
      const company = await makeCompany(t.deps);
      const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
      const now = t.deps.clock.now();
      await expect(createHolderCopy(t.deps, { byUserId: office.directorId, byPassphrase: 'wrong-wrong-wrong', forUserId: other.id, now })).rejects.toBeInstanceOf(WrongKeyPassphrase);
      await expect(createHolderCopy(t.deps, { byUserId: office.directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: client.id, now })).rejects.toMatchObject({ messageKey: 'keys.errors.notEligible' });
      await expect(createHolderCopy(t.deps, { byUserId: office.directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: staff.id, now })).rejects.toMatchObject({ messageKey: 'keys.errors.alreadyHolder' });
      await expect(createHolderCopy(t.deps, { byUserId: staff.id, byPassphrase: oneTime, forUserId: other.id, now })).rejects.toBeInstanceOf(NotKeyHolder);
      expect(await keyHolderStatus(t.deps.db, other.id)).toEqual({ holder: false, mustChange: false });
      expect(await keyHolderStatus(t.deps.db, client.id)).toEqual({ holder: false, mustChange: false });
    });

    it('the holder changes the one-time passphrase; weak, unchanged or login-password passphrases are refused', async () => {
      const now = t.deps.clock.now();
      const change = (oldPassphrase: string, np: string) => changeHolderPassphrase(t.deps, { userId: staff.id, oldPassphrase, newPassphrase: np, now });
      await expect(change(oneTime, 'short')).rejects.toMatchObject({ messageKey: 'keys.errors.passphraseTooShort', params: { min: 12 } });
      await expect(change(oneTime, oneTime)).rejects.toMatchObject({ messageKey: 'keys.errors.passphraseUnchanged' });
      await expect(change(oneTime, staff.password)).rejects.toMatchObject({ messageKey: 'keys.errors.passphraseSameAsPassword' });
      await expect(change(oneTime, staff.password)).rejects.toBeInstanceOf(KeyPassphraseProblem);
      await expect(change('wrong-one-time-pass', newPassphrase)).rejects.toBeInstanceOf(WrongKeyPassphrase);
      await change(oneTime, newPassphrase);
      expect(await keyHolderStatus(t.deps.db, staff.id)).toEqual({ holder: true, mustChange: false });
      await expect(unlockOfficeKey(t.deps, staff.id, oneTime)).rejects.toBeInstanceOf(WrongKeyPassphrase);
      const key = await unlockOfficeKey(t.deps, staff.id, newPassphrase);
      expect(key.getFingerprint()).toBe(office.fingerprint);
      // The change, then the try with the retired passphrase (every wrong try is audited, issue 12 item 3).
      expect((await auditActions(t)).slice(-2)).toEqual(['key.passphrase.change', 'key.passphrase.failure']);
    });

    it('removing a holder deletes their copy; the last copy can never be removed', async () => {
      const now = t.deps.clock.now();
      await removeHolderCopy(t.deps, { userId: staff.id, byUserId: office.directorId, now });
      expect(await t.deps.db.selectFrom('key_copies').select('user_id').where('user_id', '=', staff.id).execute()).toEqual([]);
      expect((await t.deps.db.selectFrom('users').select('key_holder').where('id', '=', staff.id).executeTakeFirstOrThrow()).key_holder).toBe(0);
      await expect(unlockOfficeKey(t.deps, staff.id, newPassphrase)).rejects.toBeInstanceOf(NotKeyHolder);
      expect((await auditActions(t)).at(-1)).toBe('key.holder.remove');
      await expect(removeHolderCopy(t.deps, { userId: staff.id, byUserId: office.directorId, now })).rejects.toBeInstanceOf(NotKeyHolder);
      const last = await removeHolderCopy(t.deps, { userId: office.directorId, byUserId: office.directorId, now }).catch((e: unknown) => e);
      expect(last).toBeInstanceOf(KeyHolderConflict);
      expect((last as KeyHolderConflict).messageKey).toBe('keys.errors.lastHolder');
      expect(await keyHolderStatus(t.deps.db, office.directorId)).toEqual({ holder: true, mustChange: false });
    });
  });

  it('no private key is ever stored unlocked: every private key anywhere in the database is passphrase-encrypted', async () => {
    // Make sure there are several copies to look at.
    const s = await makeUser(t.deps, { role: 'staff' });
    await createHolderCopy(t.deps, { byUserId: office.directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: s.id, now: t.deps.clock.now() });
    const copies = await t.deps.db.selectFrom('key_copies').select('locked_private_key').execute();
    expect(copies.length).toBeGreaterThanOrEqual(2);
    for (const c of copies) expect((await openpgp.readPrivateKey({ armoredKey: c.locked_private_key })).isDecrypted()).toBe(false);

    // Every text value of every table, not only key_copies.
    const file = t.deps.config.database.kind === 'sqlite' ? t.deps.config.database.file : '';
    const db = new Database(file, { readonly: true });
    try {
      const tables = db.prepare(`select name from sqlite_master where type = 'table'`).all() as Array<{ name: string }>;
      let privateKeys = 0;
      for (const { name } of tables) {
        for (const row of db.prepare(`select * from "${name}"`).all() as Array<Record<string, unknown>>) {
          for (const v of Object.values(row)) {
            if (typeof v !== 'string' || !v.includes('PRIVATE KEY')) continue;
            privateKeys++;
            const k = await openpgp.readPrivateKey({ armoredKey: v });
            expect(k.isDecrypted()).toBe(false);
            for (const sub of k.subkeys) expect(sub.isDecrypted()).toBe(false);
          }
        }
      }
      expect(privateKeys).toBe(copies.length);
    } finally {
      db.close();
    }
  });
});
