import { hash, verify } from '@node-rs/argon2';

/** Argon2id at or above the security.md floor (m ≥ 19 MiB, t ≥ 2). */
const PARAMS = { algorithm: 2 /* Argon2id (a const enum in the typings) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    // Spend the same time on an unknown account, so timing does not reveal which login ids exist.
    await hash(password, PARAMS);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Any characters, at least the minimum length, never truncated. Returns an i18n key or null. */
export function passwordProblem(password: string, minLength: number): string | null {
  if ([...password].length < minLength) return 'auth.passwordTooShort';
  if ([...password].length > 1024) return 'auth.passwordTooLong';
  return null;
}
