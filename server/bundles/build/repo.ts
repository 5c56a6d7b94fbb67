import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

/** Queries of the sealed bundles (migration 0024). Rows hold counts, hashes and manifests — never a number (P3). */
export type Db = Kysely<Database> | Transaction<Database>;

export interface NewBundle {
  id: string;
  companyId: string;
  dropId: string;
  nenbun: number;
  destination: 'tax-office' | 'municipal' | 'self-copy';
  municipalityCode: string | null;
  rows: number;
  storedKey: string;
  size: number;
  sha256: string;
  sealedTo: 'client-key' | 'passphrase';
  recipientFingerprint: string | null;
  manifest: string;
  expiresAt: string | null;
  builtBy: string;
  at: string;
  /** For the audit entry only; not stored in the row. */
  personIds: string[];
}

export async function insertBundle(db: Db, b: NewBundle): Promise<void> {
  await db
    .insertInto('bundles')
    .values({
      id: b.id, company_id: b.companyId, drop_id: b.dropId, nenbun: b.nenbun, destination: b.destination, municipality_code: b.municipalityCode,
      rows: b.rows, numbered: b.destination === 'self-copy' ? 0 : 1, stored_key: b.storedKey, size: b.size, sha256: b.sha256, sealed_to: b.sealedTo,
      recipient_fingerprint: b.recipientFingerprint, manifest: b.manifest, state: 'sealed', expires_at: b.expiresAt, built_by: b.builtBy, created_at: b.at, updated_at: b.at,
    })
    .execute();
}

/** The persons a bundle carries, 500 rows per statement (SQLite's parameter limit). */
export async function insertBundlePersons(db: Db, bundleId: string, personIds: readonly string[]): Promise<void> {
  const ids = [...new Set(personIds)];
  for (let i = 0; i < ids.length; i += 500) {
    await db.insertInto('bundle_persons').values(ids.slice(i, i + 500).map((person_id) => ({ bundle_id: bundleId, person_id }))).execute();
  }
}

export async function liveBundleOfDrop(db: Db, dropId: string): Promise<boolean> {
  // The numbered ones: once they are gone (提出済, expired) the data may be built again; an earlier 本人交付 bundle stays until its own expiry.
  const r = await db.selectFrom('bundles').select('id').where('drop_id', '=', dropId).where('numbered', '=', 1).where('state', '!=', 'disposed').executeTakeFirst();
  return r !== undefined;
}

export async function clientKey(db: Db, companyId: string): Promise<{ fingerprint: string; publicKey: string } | null> {
  const r = await db.selectFrom('company_client_keys').select(['fingerprint', 'public_key']).where('company_id', '=', companyId).executeTakeFirst();
  return r ? { fingerprint: r.fingerprint, publicKey: r.public_key } : null;
}

/** What the director set for the payer (company_bundle_settings, 0028): the 法人番号 (null: col 94 stays blank) and the 総括表's 連絡者. */
export async function payerFacts(db: Db, companyId: string): Promise<{ corporateNumber: string | null; contactName: string; contactPhone: string }> {
  const r = await db.selectFrom('company_bundle_settings').select(['corporate_number', 'contact_name', 'contact_phone']).where('company_id', '=', companyId).executeTakeFirst();
  return { corporateNumber: r?.corporate_number ?? null, contactName: r?.contact_name ?? '', contactPhone: r?.contact_phone ?? '' };
}
