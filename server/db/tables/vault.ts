/**
 * Table types of migration 0009-vault (see schema.ts for the portability rules).
 *
 * P3: no column here ever holds a My Number. The number lives only in the
 * vault location, AES-256-GCM under a (company, cohort) data key; these rows
 * hold names, the opaque token of the record, and a keyed blind index.
 */

/** One AES-256-GCM key per (company, retention cohort), stored only wrapped by the office key. */
export interface DataKeysTable {
  id: string;
  company_id: string;
  cohort: string;
  /** The 32 raw key bytes as an armored OpenPGP message to the office public key; null once destroyed. */
  wrapped_key: string | null;
  created_at: string;
  /** Set when the key was destroyed (cryptographic erase of the cohort, P5). */
  destroyed_at: string | null;
}

/** One HMAC-SHA256 key per company for the blind index, wrapped like the data keys. */
export interface IndexKeysTable {
  company_id: string;
  wrapped_key: string;
  created_at: string;
}

export type PersonState = 'held' | 'disposed' | (string & {});

/** A person whose number is held in the vault: everything about them except the number. */
export interface PersonsTable {
  id: string;
  company_id: string;
  /** Key of the vault object (32 hex chars, random): the record's only link to this row. */
  token: string;
  data_key_id: string;
  /** HMAC-SHA256(company index key, 12 digits), base64url: finds a duplicate without storing the number. */
  number_index: string;
  /** The number's last four digits only, for telling people apart in lists (migration 0012; null before it). Never more. */
  number_last4: string | null;
  name: string;
  furigana: string | null;
  employee_code: string | null;
  /** '本人' | '配偶者' | '扶養親族1' … */
  relation: string;
  /** For dependents: the 本人 person of the same row. */
  employee_person_id: string | null;
  source_drop_id: string | null;
  source_sheet: string | null;
  source_row: number | null;
  cohort: string;
  state: PersonState;
  created_at: string;
}

/** One row per successful reveal: the rolling-hour count (limits.reveal.perHour). Ids and times only. */
export interface RevealEventsTable {
  id: string;
  user_id: string;
  at: string;
}

/** A staff member whose reveals are blocked until a director lifts it (security.md: reveal limit). */
export interface RevealBlocksTable {
  user_id: string;
  blocked_at: string;
  /** Claimed by the request that sends the director's alert: one alert per block. */
  alerted_at: string | null;
  lifted_at: string | null;
  lifted_by: string | null;
}

export interface VaultTables {
  data_keys: DataKeysTable;
  index_keys: IndexKeysTable;
  persons: PersonsTable;
  reveal_events: RevealEventsTable;
  reveal_blocks: RevealBlocksTable;
  vault_retired_records: VaultRetiredRecordsTable;
}

/** A record replaced by a reseal, to be deleted (every version) and then forgotten (migration 0027). */
export interface VaultRetiredRecordsTable {
  token: string;
  company_id: string;
  retired_at: string;
}
