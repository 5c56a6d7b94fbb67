import type * as openpgp from 'openpgp';
import type { Deps } from '../deps.js';
import { ServiceUnavailable } from '../http/errors.js';
import { readOfficePublicKey } from '../keys/office-key.js';
import { randomId } from '../lib/random.js';
import { newRawKey, unwrapKey, wrapKey } from './crypto.js';
import * as repo from './repo.js';

/**
 * Getting the raw index and data keys of a company into memory (P4: they
 * exist on disk only wrapped by the office key). A missing key is created,
 * wrapped to the office public key before any transaction is opened (crypto
 * is slow next to SQL), and inserted "if absent": when two ingests race, both
 * read back the one row that won and unwrap it, so a company never ends up
 * with two index keys (which would hide duplicates) or two live data keys per cohort.
 */
export interface UnwrappedKey {
  id: string;
  raw: Buffer;
}

export async function companyIndexKey(deps: Pick<Deps, 'db' | 'clock'>, companyId: string, officeKey: openpgp.PrivateKey): Promise<Buffer> {
  let wrapped = await repo.findIndexKey(deps.db, companyId);
  if (!wrapped) {
    const fresh = await wrapFresh(deps, officeKey);
    try {
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertIndexKeyIfAbsent(trx, { companyId, wrapped: fresh.wrapped, now: deps.clock.now().toISOString() });
      });
      wrapped = await repo.findIndexKey(deps.db, companyId);
      if (wrapped === fresh.wrapped) return fresh.raw; // ours won: no need to unwrap it again
    } finally {
      if (wrapped !== fresh.wrapped) fresh.raw.fill(0);
    }
    if (!wrapped) throw new Error('index key vanished after insert');
  }
  return unwrapKey(wrapped, officeKey);
}

export async function cohortDataKey(
  deps: Pick<Deps, 'db' | 'clock'>,
  companyId: string,
  cohort: string,
  officeKey: openpgp.PrivateKey,
): Promise<UnwrappedKey> {
  let row = await repo.findLiveDataKey(deps.db, companyId, cohort);
  if (!row) {
    const fresh = await wrapFresh(deps, officeKey);
    try {
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertDataKeyIfAbsent(trx, { id: randomId(), companyId, cohort, wrapped: fresh.wrapped, now: deps.clock.now().toISOString() });
      });
      row = await repo.findLiveDataKey(deps.db, companyId, cohort);
      if (row && row.wrapped === fresh.wrapped) return { id: row.id, raw: fresh.raw };
    } finally {
      if (row?.wrapped !== fresh.wrapped) fresh.raw.fill(0);
    }
    if (!row) throw new Error('data key vanished after insert');
  }
  if (!row.wrapped) throw new Error('live data key without key material');
  return { id: row.id, raw: await unwrapKey(row.wrapped, officeKey) };
}

/** A new raw key and its wrapped form, checked to open with the key the caller unlocked. */
async function wrapFresh(deps: Pick<Deps, 'db'>, officeKey: openpgp.PrivateKey): Promise<{ raw: Buffer; wrapped: string }> {
  const pub = await readOfficePublicKey(deps.db);
  if (!pub) throw new ServiceUnavailable('vault.errors.noOfficeKey');
  // A key wrapped to a public key the caller's private key does not match
  // would be lost at the first reveal: refuse before storing it.
  if (pub.getFingerprint() !== officeKey.getFingerprint()) throw new ServiceUnavailable('vault.errors.officeKeyMismatch');
  const raw = newRawKey();
  try {
    return { raw, wrapped: await wrapKey(raw, pub) };
  } catch (err) {
    raw.fill(0);
    throw err;
  }
}
