import { hashPassword } from '../lib/passwords.js';
import { limits } from '../config.js';
import { randomReadable } from '../lib/random.js';

/**
 * The printable credential sheet (ご利用案内): what a person needs to reach
 * kinko the first time. It is built only in the response to the action that
 * created the password — the password exists nowhere else in plaintext: not in
 * the database (Argon2id hash), not in a URL, not in a log line.
 */
export interface CredentialSheet {
  audience: 'client' | 'staff';
  /** Why the sheet was printed; the sheet's wording follows it. */
  reason: 'issue' | 'reissue' | 'rotate';
  officeName: string | null;
  companyName: string | null;
  personName: string;
  /** The room URL (clients: the part to bookmark) or the office login URL (staff). */
  url: string;
  loginId: string;
  /** Absent after a key rotation: the password did not change. */
  password: string | null;
  expiresAt: Date | null;
  issuedAt: Date;
}

export interface InitialPassword {
  password: string;
  hash: string;
  expiresAt: Date;
}

/**
 * A one-time initial password: 16 characters from the look-alike-free
 * alphabet (about 92 bits), typed once from paper, valid for
 * limits.password.initialTtlMs (72 h). Argon2id is slow on purpose: call this
 * before opening a transaction.
 */
export async function newInitialPassword(now: Date): Promise<InitialPassword> {
  const password = randomReadable(16);
  return { password, hash: await hashPassword(password), expiresAt: new Date(now.getTime() + limits.password.initialTtlMs) };
}

/** Login IDs for client rooms: `c` + 8 characters without look-alikes, readable over the phone. */
export function newClientLoginId(): string {
  return `c${randomReadable(8, 'abcdefghijkmnpqrstuvwxyz23456789')}`;
}

export function roomUrl(publicUrl: string, accessKey: string): string {
  return `${publicUrl}/room/${accessKey}`;
}

export function officeLoginUrl(publicUrl: string): string {
  return `${publicUrl}/office/login`;
}

