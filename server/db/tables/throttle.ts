/** Table types of migration 0014-throttle-claims (see schema.ts for the portability rules). */
type Flag = 0 | 1;

/** Failures from one client address; the row is claimed before each attempt is evaluated. */
export interface LoginIpThrottleTable {
  ip: string;
  /** Failures (and attempts in flight) of the current run from this address. */
  failures: number;
  /** Last attempt counted; a quiet period of limits.login.ipWindowMs ends the run. */
  window_last: string;
  blocked_until: string | null;
}

/** Key passphrase failures per key holder (same shape as the login throttle, limits.keyPassphrase). */
export interface KeyUnlockThrottleTable {
  user_id: string;
  failed_since_success: number;
  window_count: number;
  window_last: string | null;
  locked_until: string | null;
  hard_locked: Flag;
  updated_at: string;
}

export interface ThrottleTables {
  login_ip_throttle: LoginIpThrottleTable;
  key_unlock_throttle: KeyUnlockThrottleTable;
}
