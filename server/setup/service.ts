import { normaliseLoginId } from '../auth/login-service.js';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { hashPassword } from '../lib/passwords.js';
import { matchTotp } from '../auth/totp.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { generateOfficeKey, keyPassphraseProblem } from '../keys/office-key.js';
import { randomId, sha256 } from '../lib/random.js';
import { insertKeyCopy } from '../keys/repo.js';
import { checkAddress } from '../mail/address.js';
import { Sealer } from '../lib/secret-box.js';
import * as repo from './repo.js';

/**
 * First run (design §1 step 1, security.md AUTH "no default accounts"): kinko
 * ships with no account at all. The first director is created through a
 * one-time setup token printed on the server console, or through
 * `npx kinko setup` on the server itself. Both paths end in completeSetup().
 */
export type SetupDeps = Pick<Deps, 'db' | 'secrets' | 'clock' | 'config' | 'logger'>;

/** ≥128 bits (here 256) from crypto.randomBytes; only its SHA-256 is stored. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

export async function setupNeeded(deps: Pick<Deps, 'db'>): Promise<boolean> {
  return !(await repo.directorExists(deps.db));
}

/** A fresh setup token (valid limits.setupTokenTtlMs, single use), or null when a director exists. */
export async function issueSetupToken(deps: SetupDeps): Promise<string | null> {
  if (!(await setupNeeded(deps))) return null;
  const token = randomId(TOKEN_BYTES);
  const now = deps.clock.now();
  await repo.replaceExpiredTokens(deps.db, sha256(token), now, new Date(now.getTime() + deps.config.limits.setupTokenTtlMs));
  return token;
}

/**
 * Called by main.ts after the server listens. The link goes to the console
 * only, never through the logger: log files are copied, shipped and kept, and
 * whoever reads the link first could make themselves director.
 */
export async function announceSetup(deps: SetupDeps, print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const token = await issueSetupToken(deps);
  if (!token) return;
  const minutes = Math.round(deps.config.limits.setupTokenTtlMs / 60_000);
  print(
    `kinko: 初回設定はこのリンクから（${minutes}分間・1回限り有効） / first-run setup, open this link (valid ${minutes} min, once): ${deps.config.publicUrl}/setup/${token}`,
  );
  deps.logger.info('no director yet: a one-time setup link was printed on the console (not logged)');
}

/** The token hash when the token can still be used (and no director exists); otherwise null. */
export async function usableSetupToken(deps: SetupDeps, token: string): Promise<string | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = sha256(token);
  if (!(await repo.isUsableToken(deps.db, hash, deps.clock.now()))) return null;
  return (await setupNeeded(deps)) ? hash : null;
}

export interface SetupInput {
  officeName: string;
  directorName: string;
  loginId: string;
  password: string;
  passwordConfirm: string;
  /** Base32 TOTP secret the director enrolled in their authenticator app. */
  totpSecret: string;
  totpCode: string;
  keyPassphrase: string;
  keyPassphraseConfirm: string;
  /**
   * Where office notices go (arrivals, director alerts). Optional: a setup
   * without one is allowed but is told plainly that no notice will be mailed,
   * and the console keeps warning until someone sets an address.
   */
  email?: string;
}

export type SetupField = keyof Omit<SetupInput, 'totpSecret'> | 'form';
export type SetupErrors = Partial<Record<SetupField, string>>;
export type SetupResult =
  | { ok: true; directorId: string; loginId: string; fingerprint: string; email: string | null }
  | { ok: false; errors: SetupErrors };

/** How the caller proved the right to set up: the web token, or running the CLI on the server. */
export type SetupAuthority = { token: string } | { cli: true };

const LOGIN_ID = /^[a-z0-9][a-z0-9._@-]{2,63}$/;
const MAX_NAME = 100;

export { normaliseLoginId };

/** The notice address as stored: null when none was given, or the problem with what was typed. */
function noticeEmailOf(input: SetupInput): string | null | { problem: string } {
  if (!input.email?.trim()) return null;
  const checked = checkAddress(input.email);
  return 'problem' in checked ? { problem: checked.problem } : checked.address;
}

function normaliseName(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

/** Field checks that need no database; every problem is reported at once, per field, as an i18n key. */
export function validateSetup(input: SetupInput, minPasswordLength: number): SetupErrors {
  const e: SetupErrors = {};
  const officeName = normaliseName(input.officeName);
  const directorName = normaliseName(input.directorName);
  if (!officeName) e.officeName = 'setup.errors.officeNameRequired';
  else if ([...officeName].length > MAX_NAME || /\p{Cc}/u.test(officeName)) e.officeName = 'setup.errors.nameTooLong';
  if (!directorName) e.directorName = 'setup.errors.directorNameRequired';
  else if ([...directorName].length > MAX_NAME || /\p{Cc}/u.test(directorName)) e.directorName = 'setup.errors.nameTooLong';
  if (!LOGIN_ID.test(normaliseLoginId(input.loginId))) e.loginId = 'setup.errors.loginIdInvalid';
  const email = noticeEmailOf(input);
  if (email !== null && typeof email === 'object') e.email = email.problem;

  const pwLen = [...input.password].length;
  if (pwLen < minPasswordLength) e.password = 'setup.errors.passwordTooShort';
  else if (pwLen > 1024) e.password = 'setup.errors.passwordTooLong';
  else if (input.password !== input.passwordConfirm) e.passwordConfirm = 'setup.errors.passwordMismatch';

  const ppProblem = keyPassphraseProblem(input.keyPassphrase);
  if (ppProblem) e.keyPassphrase = ppProblem;
  // Two secrets, two jobs: a phished or reused login password must not also open the office key (P4).
  else if (input.keyPassphrase === input.password) e.keyPassphrase = 'setup.errors.passphraseSameAsPassword';
  else if (input.keyPassphrase !== input.keyPassphraseConfirm) e.keyPassphraseConfirm = 'setup.errors.passphraseMismatch';
  return e;
}

/**
 * Creates the office, its first director and the office key, all or nothing.
 * Slow work (Argon2id, key generation) happens first; then one transaction
 * writes the office, the director (TOTP enrolled at the confirmed step, so the
 * same code cannot be replayed at login), the office public key and the
 * director's locked copy, claims the token, and appends the audit entries.
 * Throws NotFound when the token is no longer usable (same answer as any
 * unknown URL); returns field errors for anything the person can fix.
 */
export async function completeSetup(deps: SetupDeps, authority: SetupAuthority, input: SetupInput): Promise<SetupResult> {
  const tokenHash = 'token' in authority ? await usableSetupToken(deps, authority.token) : null;
  if ('token' in authority && !tokenHash) throw new NotFound();
  if (!(await setupNeeded(deps))) return { ok: false, errors: { form: 'setup.errors.alreadyDone' } };

  const errors = validateSetup(input, deps.config.limits.password.minLength);
  const now = deps.clock.now();
  const step = /^[A-Z2-7]{16,}=*$/.test(input.totpSecret)
    ? await matchTotp(input.totpSecret, input.totpCode.normalize('NFKC').replace(/\s+/g, ''), now)
    : null;
  if (step === null) errors.totpCode = 'setup.errors.totpCodeWrong';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const officeName = normaliseName(input.officeName);
  const loginId = normaliseLoginId(input.loginId);
  const email = noticeEmailOf(input) as string | null; // validated above
  const directorId = randomId();
  const [passwordHash, key] = await Promise.all([hashPassword(input.password), generateOfficeKey(officeName, input.keyPassphrase)]);
  const totpSecretSealed = new Sealer(deps.secrets.signing).seal(input.totpSecret, 'totp');

  const done = await deps.db.transaction().execute(async (trx) => {
    if (tokenHash && !(await repo.claimToken(trx, tokenHash, now))) throw new NotFound();
    // Re-checked inside the transaction: a second submission (or the CLI) may have finished meanwhile.
    if ((await repo.directorExists(trx)) || (await repo.officeExists(trx))) return false;
    await repo.deleteUnusedTokens(trx);
    await repo.insertOffice(trx, officeName, now);
    await repo.insertDirector(trx, {
      id: directorId,
      loginId,
      displayName: normaliseName(input.directorName),
      email,
      passwordHash,
      totpSecretSealed,
      totpStep: step!,
      now,
    });
    await repo.insertOfficeKey(trx, key.fingerprint, key.publicKeyArmored, now);
    // The first holder's copy, locked with the passphrase the director chose (P4).
    await insertKeyCopy(trx, {
      userId: directorId,
      fingerprint: key.fingerprint,
      lockedPrivateKey: key.lockedPrivateKeyArmored,
      mustChange: false,
      createdBy: directorId,
      now,
    });
    // The new director acts: the first entries of the trail are theirs.
    const acting = requestActing({ key: deps.secrets.audit, now: () => now }, { userId: directorId, role: 'director' });
    await record(trx, acting, {
      action: 'setup.complete',
      targetIds: [directorId],
      details: { via: 'token' in authority ? 'web' : 'cli', fingerprint: key.fingerprint, noticeEmail: email !== null },
    });
    await record(trx, acting, {
      action: 'key.holder.add',
      targetIds: [directorId],
      details: { fingerprint: key.fingerprint, first: true },
    });
    return true;
  });
  if (!done) return { ok: false, errors: { form: 'setup.errors.alreadyDone' } };
  deps.logger.info({ directorId, fingerprint: key.fingerprint }, 'first-run setup complete');
  if (email === null) deps.logger.info('setup finished without a notice e-mail address: notices reach no one by mail until one is set');
  return { ok: true, directorId, loginId, fingerprint: key.fingerprint, email };
}
