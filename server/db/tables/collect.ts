/** Table types of migration 0026-collect (see schema.ts for the portability rules). */

/** requested (依頼済, or 期限切れ once expires_at passed) → submitted (提出済) / declined (辞退); revoked (取消) by the requester. */
export type CollectStatus = 'requested' | 'submitted' | 'declined' | 'revoked' | (string & {});

export interface CollectRequestsTable {
  id: string;
  company_id: string;
  person_name: string;
  employee_code: string | null;
  email: string | null;
  /** 'mail' (sent to `email`) or 'slip' (printed with a QR code and handed over). */
  delivery: 'mail' | 'slip';
  status: CollectStatus;
  /** SHA-256 of the current one-time link; the link itself is never stored. */
  link_hash: string;
  expires_at: string;
  /** How many links this person has been given (a returned submission gets a new one). */
  links_issued: number;
  opened_at: string | null;
  /** The 利用目的 notice version the employee acknowledged, and when. */
  notice_version: number | null;
  acknowledged_at: string | null;
  submitted_at: string | null;
  declined_at: string | null;
  /** The employee's own words, numbers redacted. */
  decline_reason: string | null;
  /** Why the office sent the last submission back (numbers redacted), shown to the employee with the new link. */
  return_reason: string | null;
  requested_by: string;
  created_at: string;
  updated_at: string;
}

export interface CollectNoticesTable {
  company_id: string;
  version: number;
  body: string;
  written_by: string;
  created_at: string;
}

export interface CollectSubmissionsTable {
  id: string;
  request_id: string;
  company_id: string;
  client_ref: string;
  /** Random key in the drops location (ciphertext to the office key only). */
  stored_key: string;
  size: number;
  sha256: string;
  /** received → (issue 18 §3: confirmed / returned, then disposed). */
  state: 'received' | (string & {});
  created_at: string;
  updated_at: string;
  /** Migration 0028: when a return's new link was mailed (null: not mailed, or no address). */
  return_mailed_at: string | null;
}

export interface CollectLinkThrottleTable {
  ip: string;
  failures: number;
  window_last: string;
  blocked_until: string | null;
}

export interface CollectTables {
  collect_requests: CollectRequestsTable;
  collect_notices: CollectNoticesTable;
  collect_submissions: CollectSubmissionsTable;
  collect_link_throttle: CollectLinkThrottleTable;
}
