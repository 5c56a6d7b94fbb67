import type { Kysely } from 'kysely';
import * as openpgp from 'openpgp';
import type { Database } from '../db/schema.js';
import { ServiceUnavailable } from '../http/errors.js';
import { officePublicKey } from '../keys/office-key.js';
import type { OfficeRecipientIds } from './openpgp-sniff.js';

/**
 * The office public key as uploads need it: the parsed key to encrypt plain
 * uploads to, and the ids of its encryption subkeys to recognise messages a
 * browser already encrypted. Parsed once per key (by fingerprint), then
 * reused; a new office key is picked up at the next upload.
 */
export interface OfficeRecipient extends OfficeRecipientIds {
  fingerprint: string;
  key: openpgp.PublicKey;
}

const cache = new Map<string, Promise<OfficeRecipient>>();

async function parse(fingerprint: string, armored: string): Promise<OfficeRecipient> {
  const key = await openpgp.readKey({ armoredKey: armored });
  const keyIds = new Set<string>();
  const fingerprints = new Set<string>();
  // Every subkey that may encrypt (and the primary, should it be allowed to).
  for (const k of [key, ...key.getSubkeys()]) {
    const flags = k instanceof openpgp.Subkey ? await subkeyCanEncrypt(k) : false;
    if (!flags) continue;
    keyIds.add(k.getKeyID().toHex().toLowerCase());
    fingerprints.add(k.getFingerprint().toLowerCase());
  }
  const primary = await key.getEncryptionKey().catch(() => null);
  if (primary) {
    keyIds.add(primary.getKeyID().toHex().toLowerCase());
    fingerprints.add(primary.getFingerprint().toLowerCase());
  }
  return { fingerprint, key, keyIds, fingerprints };
}

async function subkeyCanEncrypt(sub: openpgp.Subkey): Promise<boolean> {
  try {
    await sub.verify();
  } catch {
    return false;
  }
  const sig = sub.bindingSignatures[sub.bindingSignatures.length - 1];
  const flags = sig?.keyFlags?.[0] ?? 0;
  return (flags & (openpgp.enums.keyFlags.encryptCommunication | openpgp.enums.keyFlags.encryptStorage)) !== 0;
}

/** The current office recipient; 503 with a plain message before the office key exists (setup not finished). */
export async function officeRecipient(db: Kysely<Database>): Promise<OfficeRecipient> {
  const row = await officePublicKey(db);
  if (!row) throw new ServiceUnavailable('drops.errors.noOfficeKey');
  let p = cache.get(row.fingerprint);
  if (!p) {
    p = parse(row.fingerprint, row.armored);
    cache.set(row.fingerprint, p);
    p.catch(() => cache.delete(row.fingerprint));
  }
  return p;
}
