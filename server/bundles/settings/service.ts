import * as openpgp from 'openpgp';
import type { Acting } from '../../audit/acting.js';
import { record } from '../../audit/record.js';
import type { Deps } from '../../deps.js';
import { BadRequest, NotFound } from '../../http/errors.js';
import { isValidCorporateNumber } from '../write/fill-numbers.js';

/**
 * What a company's bundles need from the office (issue 15 §3–4), set by the
 * director on the company's 送付の設定 page:
 *  - the payer's 法人番号 (統一CSV col 94, the 総括表): public, checked by its
 *    check digit. A sole proprietor's 個人番号 is never typed here; their
 *    column stays blank and the build says so.
 *  - the 総括表's 連絡者 (name, phone).
 *  - the client's own OpenPGP public key, to seal bundles to. Without one,
 *    each build makes a passphrase shown once to staff.
 * Every change is an audit entry (the fingerprint, never the key's text).
 */
export interface BundleSettings {
  corporateNumber: string | null;
  payerAddress: string | null;
  contactName: string | null;
  contactPhone: string | null;
  clientKey: { fingerprint: string; registeredAt: string; userIds: string[] } | null;
}

export async function companyName(deps: Deps, companyId: string): Promise<string> {
  const c = await deps.db.selectFrom('companies').select('name').where('id', '=', companyId).executeTakeFirst();
  if (!c) throw new NotFound();
  return c.name;
}

export async function bundleSettings(deps: Deps, companyId: string): Promise<BundleSettings> {
  const s = await deps.db.selectFrom('company_bundle_settings').selectAll().where('company_id', '=', companyId).executeTakeFirst();
  const k = await deps.db.selectFrom('company_client_keys').selectAll().where('company_id', '=', companyId).executeTakeFirst();
  let userIds: string[] = [];
  if (k) userIds = (await openpgp.readKey({ armoredKey: k.public_key })).getUserIDs();
  return {
    corporateNumber: s?.corporate_number ?? null,
    payerAddress: s?.payer_address ?? null,
    contactName: s?.contact_name ?? null,
    contactPhone: s?.contact_phone ?? null,
    clientKey: k ? { fingerprint: k.fingerprint, registeredAt: k.registered_at, userIds } : null,
  };
}

export async function saveSettings(deps: Deps, acting: Acting, companyId: string, v: { corporateNumber: string; payerAddress: string; contactName: string; contactPhone: string }): Promise<void> {
  await companyName(deps, companyId);
  if (v.corporateNumber && !isValidCorporateNumber(v.corporateNumber)) throw new BadRequest('bundles.settings.errors.corporateNumberCheck');
  const at = deps.clock.now().toISOString();
  const row = { corporate_number: v.corporateNumber || null, payer_address: v.payerAddress || null, contact_name: v.contactName || null, contact_phone: v.contactPhone || null, updated_by: acting.userId ?? '', updated_at: at };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('company_bundle_settings').values({ company_id: companyId, ...row }).onConflict((oc) => oc.column('company_id').doUpdateSet(row)).execute();
    await record(trx, acting, { action: 'bundles.settings', companyId, targetIds: [companyId], result: 'ok', details: { corporateNumber: row.corporate_number ? 'set' : 'blank', contact: row.contact_name ? 'set' : 'blank' } });
  });
}

/**
 * Reads a pasted public key: exactly one, not a private key, not expired or
 * revoked, and able to encrypt (openpgp.js decides all of it). Each refusal
 * is a message the director can act on.
 */
async function readClientKey(armored: string, now: Date): Promise<openpgp.PublicKey> {
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: armored.trim() });
  } catch {
    throw new BadRequest('bundles.settings.errors.keyUnreadable');
  }
  if (key.isPrivate()) throw new BadRequest('bundles.settings.errors.keyPrivate');
  try {
    await key.getEncryptionKey(undefined, now);
  } catch {
    throw new BadRequest('bundles.settings.errors.keyCannotEncrypt');
  }
  return key as openpgp.PublicKey;
}

export async function registerClientKey(deps: Deps, acting: Acting, companyId: string, armored: string): Promise<string> {
  await companyName(deps, companyId);
  const key = await readClientKey(armored, deps.clock.now());
  const fingerprint = key.getFingerprint().toUpperCase();
  const at = deps.clock.now().toISOString();
  const row = { fingerprint, public_key: key.armor(), registered_by: acting.userId ?? '', registered_at: at };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('company_client_keys').values({ company_id: companyId, ...row }).onConflict((oc) => oc.column('company_id').doUpdateSet(row)).execute();
    await record(trx, acting, { action: 'bundles.clientKey.register', companyId, targetIds: [companyId], result: 'ok', details: { fingerprint } });
  });
  return fingerprint;
}

/** Bundles sealed to it stay as they are; the next build uses a passphrase. */
export async function removeClientKey(deps: Deps, acting: Acting, companyId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const k = await trx.deleteFrom('company_client_keys').where('company_id', '=', companyId).returning('fingerprint').executeTakeFirst();
    if (k) await record(trx, acting, { action: 'bundles.clientKey.remove', companyId, targetIds: [companyId], result: 'ok', details: { fingerprint: k.fingerprint } });
  });
}
