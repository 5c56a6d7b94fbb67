/** Table types of migration 0023-year-end-inputs (see schema.ts for the portability rules). No number in any column (P3). */
export interface YearEndDropsTable {
  drop_id: string;
  company_id: string;
  /** 令和 year of the pay data (7 = 令和7年分). */
  nenbun: number;
  marked_by: string;
  marked_at: string;
}

export type YearEndAction = 'link' | 'not-provided';

/** Staff's answer for one person of one row that kinko could not match alone. */
export interface YearEndResolutionsTable {
  drop_id: string;
  line: number;
  /** 'self' | 'spouse' | 'dependents.<i>' | 'under16.<i>' */
  subject: string;
  action: YearEndAction;
  person_id: string | null;
  note: string | null;
  decided_by: string;
  decided_at: string;
}

export interface YearEndTables {
  year_end_drops: YearEndDropsTable;
  year_end_resolutions: YearEndResolutionsTable;
}

/** Migration 0024: one sealed OpenPGP message per destination, and its manifest (no numbers). */
export type BundleDestination = 'tax-office' | 'municipal' | 'self-copy';
export type BundleState = 'sealed' | 'submitted' | 'disposed' | (string & {});

export interface BundlesTable {
  id: string;
  company_id: string;
  drop_id: string;
  nenbun: number;
  destination: BundleDestination;
  municipality_code: string | null;
  rows: number;
  /** 1 when the bundle carries numbers (税務署, 市区町村): it expires and is destroyed. */
  numbered: 0 | 1;
  stored_key: string;
  size: number;
  /** Hex SHA-256 of the stored OpenPGP message. */
  sha256: string;
  sealed_to: 'client-key' | 'passphrase';
  recipient_fingerprint: string | null;
  /** JSON: destination, 年分, counts, files with sizes and SHA-256 — never a number. */
  manifest: string;
  state: BundleState;
  expires_at: string | null;
  built_by: string;
  created_at: string;
  updated_at: string;
  /** 0028: who marked it 提出済 (the client or the office), and when. */
  submitted_by: string | null;
  submitted_at: string | null;
  /** 0028: when its object was destroyed through the disposal routine (the record says how). */
  disposed_at: string | null;
}

/** Migration 0028: one row per download of a bundle (the audit entry says the same). */
export interface BundleDownloadsTable {
  id: string;
  bundle_id: string;
  company_id: string;
  user_id: string;
  role: string;
  ip_class: string | null;
  /** 'room' | 'office' | 'browser-open' */
  via: string;
  at: string;
}

/** The client's registered OpenPGP public key (the director registers it on the company page). */
export interface CompanyClientKeysTable {
  company_id: string;
  fingerprint: string;
  public_key: string;
  registered_by: string;
  registered_at: string;
}

export interface BundleTables {
  bundles: BundlesTable;
  company_client_keys: CompanyClientKeysTable;
  bundle_downloads: BundleDownloadsTable;
  company_bundle_settings: CompanyBundleSettingsTable;
  bundle_persons: BundlePersonsTable;
}

/** Migration 0028: the persons whose numbers a bundle carries (ids only). */
export interface BundlePersonsTable {
  bundle_id: string;
  person_id: string;
}

/** Migration 0028: the payer's 法人番号 (public; col 94) and the 総括表's 連絡者. */
export interface CompanyBundleSettingsTable {
  company_id: string;
  corporate_number: string | null;
  /** The payer's address printed as 支払者 住所 (col 91). */
  payer_address: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  updated_by: string;
  updated_at: string;
}
