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

/** Migration 0030: the office's policy for identity images after a confirmation (one row, id 'office'; none = 0 days). */
export interface CollectImagePolicyTable {
  id: string;
  /** 0: destroyed with the submission at confirmation; N: kept N days after it (at most limits.collect.imageKeepMaxDays). */
  keep_days: number;
  updated_by: string;
  updated_at: string;
}

/** Migration 0030: a confirmed submission's identity images while the policy keeps them (ciphertext to the office key in the drops location). */
export interface CollectKeptImagesTable {
  id: string;
  submission_id: string;
  request_id: string;
  company_id: string;
  /** Random key ('i…') in the drops location. */
  stored_key: string;
  size: number;
  sha256: string;
  /** 'card' (マイナンバーカード) or 'notification' (通知カード + photo ID). */
  identity_kind: string;
  /** The images' roles, comma-separated (cardFront,cardBack,…): what was checked, never what it showed. */
  roles: string;
  /** storing (a confirmation is writing it) → kept → disposed. */
  state: 'storing' | 'kept' | 'disposed' | (string & {});
  confirmed_at: string | null;
  keep_until: string | null;
  created_at: string;
  updated_at: string;
  /** Migration 0031: the employee (本人) whose identity documents these are (no foreign key: a killed confirmation may name a person never committed). */
  person_id: string | null;
}

export interface CollectTables {
  collect_image_policy: CollectImagePolicyTable;
  collect_kept_images: CollectKeptImagesTable;
  collect_requests: CollectRequestsTable;
  collect_notices: CollectNoticesTable;
  collect_submissions: CollectSubmissionsTable;
  collect_link_throttle: CollectLinkThrottleTable;
}
