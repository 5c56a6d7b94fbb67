import QRCode from 'qrcode';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { Sealer } from '../lib/secret-box.js';
import { hashPassword, passwordProblem, verifyPassword } from '../lib/passwords.js';
import * as repo from './repo.js';
import { claimTotpStep, normaliseCode } from './second-factor.js';
import { createSession, type SessionMeta } from './sessions.js';
import { matchTotp, totpUri } from './totp.js';

/**
 * First login (design.md §1 flow 1): a person holding an `enrol` session —
 * earned with the one-time initial password alone — sets their own password
 * and registers an authenticator app. Only when both are done does the enrol
 * session give way to a normal one.
 */
export interface EnrolmentForm {
  needsPassword: boolean;
  needsTotp: boolean;
  /** Base32 seed in groups of four, for typing into an app by hand. */
  secretGroups?: string;
  /** data: URL (SVG) of the otpauth QR code (the CSP allows data: images). */
  qrDataUrl?: string;
}

async function enrollee(deps: Deps, userId: string) {
  return repo.findEnrollee(deps.db, userId);
}

export async function enrolmentForm(deps: Deps, userId: string): Promise<EnrolmentForm | null> {
  const u = await enrollee(deps, userId);
  if (!u || u.status !== 'active') return null;
  const needsPassword = u.password_is_initial === 1;
  const needsTotp = u.totp_enrolled !== 1;
  if (!needsTotp || !u.totp_secret_sealed) return { needsPassword, needsTotp: false };
  const secret = new Sealer(deps.secrets.signing).unseal(u.totp_secret_sealed, 'totp');
  const office = await deps.db.selectFrom('office').select('name').executeTakeFirst();
  const uri = totpUri(secret, office?.name ? `kinko ${office.name}` : 'kinko', u.login_id);
  // SVG: crisp at any size and cheap to make (PNG encoding is ~50× slower). As an
  // <img> source an SVG cannot run script, and the CSP allows data: images only.
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const qrDataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  return { needsPassword, needsTotp, secretGroups: secret.match(/.{1,4}/g)!.join(' '), qrDataUrl };
}

export interface EnrolmentInput {
  newPassword?: unknown;
  newPassword2?: unknown;
  code?: unknown;
}

export type EnrolmentResult =
  | { ok: true; sessionId: string }
  | { ok: false; problem: string; params?: Record<string, string | number> };

export async function completeEnrolment(
  deps: Deps,
  session: { userId: string; sessionId: string },
  input: EnrolmentInput,
  meta: SessionMeta & { requestId?: string },
): Promise<EnrolmentResult> {
  const u = await enrollee(deps, session.userId);
  if (!u || u.status !== 'active') return { ok: false, problem: 'errors.unauthorized' };
  const needsPassword = u.password_is_initial === 1;
  const needsTotp = u.totp_enrolled !== 1;
  const now = deps.clock.now();

  let newHash: string | null = null;
  if (needsPassword) {
    const pw = typeof input.newPassword === 'string' ? input.newPassword : '';
    const problem = passwordProblem(pw, deps.config.limits.password.minLength);
    if (problem) return { ok: false, problem, params: { min: deps.config.limits.password.minLength } };
    if (pw !== input.newPassword2) return { ok: false, problem: 'auth.passwordMismatch' };
    if (await verifyPassword(u.password_hash, pw)) return { ok: false, problem: 'auth.passwordSameAsInitial' };
    newHash = await hashPassword(pw); // Argon2id outside the transaction (it holds SQLite's only connection)
  }

  let step: number | null = null;
  if (needsTotp) {
    if (!u.totp_secret_sealed) return { ok: false, problem: 'errors.unauthorized' };
    const secret = new Sealer(deps.secrets.signing).unseal(u.totp_secret_sealed, 'totp');
    step = await matchTotp(secret, normaliseCode(input.code), now);
    if (step === null) return { ok: false, problem: 'auth.codeWrong' };
  }

  const sessionId = await deps.db.transaction().execute(async (trx) => {
    // The confirming code is claimed like any login code, so it cannot be replayed at the next login.
    if (step !== null && !(await claimTotpStep(trx, u.id, step))) return null;
    const at = now.toISOString();
    await repo.completeEnrolment(trx, u.id, { newHash, enrolled: step !== null }, at);
    // The enrol session (and any other) ends; the person continues in a fresh full session.
    await repo.deleteUserSessions(trx, u.id);
    // A code confirmed just now is the new session's step-up, as at login (login-service.ts startSession).
    const sid = await createSession(trx, u.id, 'full', now, meta, step !== null);
    const acting = requestActing(auditContext(deps), { userId: u.id, role: u.role, companyId: u.company_id, requestId: meta.requestId ?? null });
    await record(trx, acting, {
      action: 'auth.enrolled',
      targetIds: [u.id],
      details: { passwordSet: !!newHash, totpEnrolled: step !== null },
    });
    return sid;
  });
  if (!sessionId) return { ok: false, problem: 'auth.codeWrong' };
  return { ok: true, sessionId };
}
