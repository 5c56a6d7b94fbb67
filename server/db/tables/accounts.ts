import type { ColumnType } from 'kysely';

/** Table types of migration 0002-accounts (see schema.ts for the portability rules). */
type Flag = 0 | 1;

export interface OfficeTable {
  id: string;
  name: string;
  created_at: string;
}

export interface OfficeKeysTable {
  fingerprint: string;
  /** Armored OpenPGP public key (curve25519Legacy). */
  public_key: string;
  created_at: string;
}

export interface CompaniesTable {
  id: string;
  name: string;
  contact_email: string;
  status: 'active' | 'revoked';
  /** SHA-256 of the room access key: a database copy opens no room. */
  access_key_hash: string;
  /** The access key sealed with the server secret, to reprint the credential sheet. */
  access_key_sealed: string;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  role: 'director' | 'staff' | 'client';
  company_id: string | null;
  login_id: string;
  display_name: string;
  email: string | null;
  status: 'active' | 'revoked';
  password_hash: string | null;
  /** 1 while the password is the one-time initial password (single use). */
  password_is_initial: Flag;
  initial_expires_at: string | null;
  totp_secret_sealed: string | null;
  totp_enrolled: Flag;
  /** Last accepted TOTP time step; a code at or before it is a replay. */
  totp_last_step: number;
  key_holder: Flag;
  failed_since_success: number;
  locked_until: string | null;
  hard_locked: Flag;
  /** Failures of the current run (0014; a quiet limits.login.accountWindowMs ends it): claimed before a password is checked. */
  fail_window_count: ColumnType<number, number | undefined, number>;
  fail_window_last: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: string;
  updated_at: string;
}

export interface KeyCopiesTable {
  user_id: string;
  fingerprint: string;
  /** Armored OpenPGP private key, locked with this holder's own key passphrase. */
  locked_private_key: string;
  /** 1 while locked with a one-time passphrase the holder must change at first use. */
  must_change: Flag;
  created_by: string | null;
  created_at: string;
}

export interface SessionsTable {
  /** SHA-256 of the session id; the id itself lives only in the cookie. */
  id_hash: string;
  user_id: string;
  /** 'enrol': first login, may only set a password and enrol TOTP. */
  stage: 'full' | 'enrol';
  created_at: string;
  last_seen_at: string;
  step_up_at: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginAttemptsTable {
  id: string;
  user_id: string | null;
  ip: string;
  at: string;
  success: Flag;
}

export interface SetupTokensTable {
  token_hash: string;
  expires_at: string;
  used_at: string | null;
}

export interface AccountTables {
  office: OfficeTable;
  office_keys: OfficeKeysTable;
  companies: CompaniesTable;
  users: UsersTable;
  key_copies: KeyCopiesTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  setup_tokens: SetupTokensTable;
}
