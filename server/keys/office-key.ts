import * as openpgp from 'openpgp';
import type { Kysely } from 'kysely';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { verifyPassword } from '../lib/passwords.js';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import {
  KeyHolderConflict,
  KeyPassphraseMustChange,
  KeyPassphraseProblem,
  NotKeyHolder,
  WrongKeyPassphrase,
} from './errors.js';
import { randomReadable } from '../lib/random.js';
import * as repo from './repo.js';
import { guardedDecrypt, type TryContext } from './unlock-guard.js';
import { relockInThread } from './unlock-thread.js';

/**
 * The office OpenPGP key (design §3, P4).
 *
 * Threat: someone walks away with the disk, the database and the bucket. The
 * private key is therefore never stored unlocked: it exists only as
 * passphrase-locked copies, one per key holder, each under that holder's own
 * key passphrase (distinct from their login password, which the server checks
 * and could be phished separately). Unlocked keys exist only in this process's
 * memory for the operation that needs them and are never written, logged or
 * cached by this module.
 *
 * Interop: ECC curve25519Legacy (EdDSA + ECDH) and no AEAD, so GnuPG 2.2
 * users can encrypt to the office key and verify its signatures.
 */
const KEY_CONFIG: openpgp.PartialConfig = { aeadProtect: false, v6Keys: false };
const MAX_PASSPHRASE_CHARS = 1024;

/** What the audit trail, the passphrase throttle and its alert need from Deps. */
export type KeyDeps = Pick<Deps, 'db' | 'secrets' | 'clock' | 'mailer' | 'logger' | 'config' | 'i18n'>;

export interface GeneratedOfficeKey {
  fingerprint: string;
  publicKeyArmored: string;
  /** Locked with the passphrase given; never store anything else. */
  lockedPrivateKeyArmored: string;
}

/** A new office key pair. Slow-ish (S2K): call it before opening a transaction. */
export async function generateOfficeKey(officeName: string, passphrase: string): Promise<GeneratedOfficeKey> {
  if (!passphrase) throw new Error('an office key needs a passphrase'); // P4: never generate an unlocked copy
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: officeName, comment: 'kinko office key' }],
    passphrase,
    format: 'armored',
    config: KEY_CONFIG,
  });
  const pub = await openpgp.readKey({ armoredKey: publicKey });
  return { fingerprint: pub.getFingerprint(), publicKeyArmored: publicKey, lockedPrivateKeyArmored: privateKey };
}

/** The office public key (armored) and fingerprint, or null before setup. */
export async function officePublicKey(db: Kysely<Database>): Promise<{ fingerprint: string; armored: string } | null> {
  const row = await repo.findOfficeKey(db);
  return row ? { fingerprint: row.fingerprint, armored: row.publicKey } : null;
}

/** The office public key as an openpgp.js object, for encrypting to it; null before setup. */
export async function readOfficePublicKey(db: Kysely<Database>): Promise<openpgp.PublicKey | null> {
  const row = await repo.findOfficeKey(db);
  return row ? openpgp.readKey({ armoredKey: row.publicKey }) : null;
}

/** Whether a person holds a copy and whether it still has the one-time passphrase. */
export async function keyHolderStatus(db: Kysely<Database>, userId: string): Promise<{ holder: boolean; mustChange: boolean }> {
  const copy = await repo.findKeyCopy(db, userId);
  return { holder: !!copy, mustChange: copy?.mustChange ?? false };
}

/**
 * Unlocks this holder's copy into memory. The returned key must not be stored
 * anywhere; keep it for one operation (or a short unlock window) and drop it.
 * A copy still under its one-time passphrase is refused: the holder changes it
 * first (/office/key/passphrase). Each try is throttled per holder, audited,
 * and run off the main thread (unlock-guard.ts).
 */
export async function unlockOfficeKey(deps: KeyDeps, userId: string, passphrase: string, ctx: TryContext = { form: 'other' }): Promise<openpgp.PrivateKey> {
  const { key, copy } = await unlockCopy(deps, userId, passphrase, ctx);
  if (copy.mustChange) throw new KeyPassphraseMustChange();
  return key;
}

async function unlockCopy(deps: KeyDeps, userId: string, passphrase: string, ctx: TryContext): Promise<{ key: openpgp.PrivateKey; copy: repo.KeyCopyRow }> {
  const copy = await repo.findKeyCopy(deps.db, userId);
  if (!copy) throw new NotKeyHolder();
  // Empty or impossibly long: a form mistake that tests no passphrase (no try is spent on it).
  if (typeof passphrase !== 'string' || passphrase.length === 0 || passphrase.length > MAX_PASSPHRASE_CHARS) throw new WrongKeyPassphrase();
  return { key: await guardedDecrypt(deps, copy, passphrase, ctx), copy };
}

/** S2K again (as costly as an unlock), so on the unlock thread too. */
function relock(key: openpgp.PrivateKey, passphrase: string): Promise<string> {
  return relockInThread(key, passphrase);
}

/**
 * Designates a key holder (design §3): the director unlocks their own copy and
 * kinko re-locks a copy for the new holder under a one-time passphrase, which
 * is returned to be shown once to the director for hand-over and must be
 * changed by the holder at first use (must_change=1). Clients can never hold
 * the office key.
 */
export async function createHolderCopy(
  deps: KeyDeps,
  opts: { byUserId: string; byPassphrase: string; forUserId: string; now: Date; requestId?: string | null },
): Promise<{ oneTimePassphrase: string }> {
  const [by, target] = await Promise.all([repo.findPerson(deps.db, opts.byUserId), repo.findPerson(deps.db, opts.forUserId)]);
  if (!by || by.role !== 'director' || by.status !== 'active') throw new NotKeyHolder();
  if (!target || target.status !== 'active' || (target.role !== 'staff' && target.role !== 'director')) {
    throw new KeyHolderConflict('keys.errors.notEligible');
  }
  if (await repo.findKeyCopy(deps.db, opts.forUserId)) throw new KeyHolderConflict('keys.errors.alreadyHolder');
  // Slow crypto before the transaction (SQLite has one connection; see db/transaction.ts).
  const { key, copy } = await unlockCopy(deps, opts.byUserId, opts.byPassphrase, { form: 'holderAdd', requestId: opts.requestId });
  const oneTimePassphrase = randomReadable(20);
  const lockedForHolder = await relock(key, oneTimePassphrase);

  await deps.db.transaction().execute(async (trx) => {
    if (await repo.findKeyCopy(trx, opts.forUserId)) throw new KeyHolderConflict('keys.errors.alreadyHolder');
    await repo.insertKeyCopy(trx, {
      userId: opts.forUserId,
      fingerprint: copy.fingerprint,
      lockedPrivateKey: lockedForHolder,
      mustChange: true,
      createdBy: opts.byUserId,
      now: opts.now,
    });
    await repo.setKeyHolderFlag(trx, opts.forUserId, true, opts.now);
    await record(trx, requestActing({ key: deps.secrets.audit, now: () => opts.now }, { userId: opts.byUserId, role: by.role, requestId: opts.requestId ?? null }), {
      action: 'key.holder.add',
      targetIds: [opts.forUserId],
      details: { fingerprint: copy.fingerprint },
    });
  });
  return { oneTimePassphrase };
}

/** Problems with a proposed key passphrase that need no secret to check; an i18n key or null. */
export function keyPassphraseProblem(passphrase: string): string | null {
  const n = [...passphrase].length;
  if (n < limits.password.minLength) return 'keys.errors.passphraseTooShort';
  if (n > MAX_PASSPHRASE_CHARS) return 'keys.errors.passphraseTooLong';
  return null;
}

/**
 * A holder replaces their key passphrase (also how the one-time passphrase is
 * retired). The new one must differ from the old one and from the login
 * password: a phished login password must not also open the office key.
 */
export async function changeHolderPassphrase(
  deps: KeyDeps,
  opts: { userId: string; oldPassphrase: string; newPassphrase: string; now: Date; requestId?: string | null },
): Promise<void> {
  const problem = keyPassphraseProblem(opts.newPassphrase);
  if (problem) throw new KeyPassphraseProblem(problem);
  const person = await repo.findPerson(deps.db, opts.userId);
  if (!person || person.status !== 'active') throw new NotKeyHolder();
  const { key, copy } = await unlockCopy(deps, opts.userId, opts.oldPassphrase, { form: 'passphraseChange', requestId: opts.requestId });
  if (opts.newPassphrase === opts.oldPassphrase) throw new KeyPassphraseProblem('keys.errors.passphraseUnchanged');
  if (person.passwordHash && (await verifyPassword(person.passwordHash, opts.newPassphrase))) {
    throw new KeyPassphraseProblem('keys.errors.passphraseSameAsPassword');
  }
  const relocked = await relock(key, opts.newPassphrase);

  await deps.db.transaction().execute(async (trx) => {
    // Someone changed it in between (another tab): refuse rather than silently overwrite.
    if (!(await repo.replaceKeyCopy(trx, opts.userId, copy.lockedPrivateKey, relocked))) throw new KeyHolderConflict('errors.conflict');
    await record(trx, requestActing({ key: deps.secrets.audit, now: () => opts.now }, { userId: opts.userId, role: person.role, requestId: opts.requestId ?? null }), {
      action: 'key.passphrase.change',
      targetIds: [opts.userId],
      details: { wasOneTime: copy.mustChange },
    });
  });
}

/**
 * Revokes a holder: their copy is deleted (design §3). The last copy is never
 * deleted — without it the office key, and with it every vault data key, would
 * be lost for good.
 */
export async function removeHolderCopy(
  deps: KeyDeps,
  opts: { userId: string; byUserId: string; now: Date; requestId?: string | null },
): Promise<void> {
  const by = await repo.findPerson(deps.db, opts.byUserId);
  if (!by || by.role !== 'director' || by.status !== 'active') throw new NotKeyHolder();
  await deps.db.transaction().execute(async (trx) => {
    const copies = await repo.countKeyCopiesLocked(trx);
    const copy = await repo.findKeyCopy(trx, opts.userId);
    if (!copy) throw new NotKeyHolder();
    if (copies <= 1) throw new KeyHolderConflict('keys.errors.lastHolder');
    await repo.deleteKeyCopy(trx, opts.userId);
    await repo.setKeyHolderFlag(trx, opts.userId, false, opts.now);
    await record(trx, requestActing({ key: deps.secrets.audit, now: () => opts.now }, { userId: opts.byUserId, role: by.role, requestId: opts.requestId ?? null }), {
      action: 'key.holder.remove',
      targetIds: [opts.userId],
      details: { fingerprint: copy.fingerprint },
    });
  });
}
