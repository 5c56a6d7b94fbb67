import type { Transaction } from 'kysely';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { type AuditEvent, auditContext } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { Sealer } from '../lib/secret-box.js';
import { verifyPassword } from '../lib/passwords.js';
import * as repo from './repo.js';
import { checkUserTotp, normaliseCode } from './second-factor.js';
import { createSession, destroySession, type SessionMeta } from './sessions.js';
import { claimAccount, claimIp, recordFailure, recordSuccess } from './throttle.js';
import { newTotpSecret } from './totp.js';

/**
 * One function decides a login attempt, in a fixed order: IP claim → account
 * (in this room / in the office) → account claim (hard lock, lock, limit) →
 * password → initial password expiry → TOTP (matched, then its step claimed).
 * Both claims are taken before the password is checked (throttle.ts), so a
 * parallel burst is evaluated at most as often as the limits allow. Every "no" looks the
 * same to the caller (`ok: false`); the reason goes only to the audit trail,
 * so the page can never tell an attacker which part was wrong.
 */
export type LoginScope = { kind: 'office' } | { kind: 'room'; companyId: string };

export type FailureReason =
  | 'missing'
  | 'ip_blocked'
  | 'unknown_user'
  | 'revoked'
  | 'hard_locked'
  | 'locked'
  | 'bad_password'
  | 'initial_expired'
  | 'initial_used'
  | 'not_enrolled'
  | 'bad_totp'
  | 'totp_replay';

export type LoginOutcome =
  | {
      ok: true;
      userId: string;
      role: 'director' | 'staff' | 'client';
      companyId: string | null;
      stage: 'full' | 'enrol';
      /** A fresh TOTP code was checked and its step claimed by this login: it counts as the session's step-up. */
      stepUp: boolean;
    }
  | { ok: false; reason: FailureReason };

export interface LoginInput {
  loginId: unknown;
  password: unknown;
  totp: unknown;
  ip: string;
  scope: LoginScope;
  requestId?: string;
}

const MAX_LOGIN_ID = 100;
const MAX_PASSWORD = 1024;

/**
 * Login ids are typed from paper, often with a Japanese IME in full-width mode
 * or Caps Lock on; every id is stored lower-case, so compare that way too.
 */
export function normaliseLoginId(input: unknown): string {
  if (typeof input !== 'string' || input.length > MAX_LOGIN_ID * 4) return '';
  const s = input.normalize('NFKC').trim().toLowerCase();
  return s.length > MAX_LOGIN_ID ? '' : s;
}

export async function attemptLogin(deps: Deps, input: LoginInput): Promise<LoginOutcome> {
  const { db } = deps;
  const now = deps.clock.now();
  const loginId = normaliseLoginId(input.loginId);
  // Passwords are taken exactly as typed: any characters, never trimmed or truncated.
  const password = typeof input.password === 'string' && input.password.length <= MAX_PASSWORD ? input.password : '';
  const code = normaliseCode(input.totp);

  // A blocked IP is refused before any account is looked up: the spray stops here.
  if (!(await claimIp(db, input.ip, now))) return { ok: false, reason: 'ip_blocked' };

  const found = loginId ? await repo.findUserByLoginId(db, loginId) : undefined;
  const scope = input.scope;
  const user =
    found && (scope.kind === 'office' ? found.role !== 'client' : found.role === 'client' && found.company_id === scope.companyId)
      ? found
      : undefined;

  // The account's slot is claimed before the password is checked (throttle.ts);
  // an unknown or revoked id runs the same statement against no row.
  const claim = await claimAccount(db, user && password && user.status === 'active' ? user.id : '', now);

  // Always one Argon2id computation — against a throwaway hash for an unknown
  // id — so response time does not reveal which ids exist or are locked.
  const passwordOk = password !== '' && (await verifyPassword(user?.password_hash ?? null, password));

  const fail = (reason: FailureReason, counted: boolean) => failure(deps, input, now, reason, user ?? null, counted);
  if (!user || !password) return fail('unknown_user', false);
  if (user.status !== 'active') return fail('revoked', false);
  if (claim !== 'ok') return fail(claim === 'hard' ? 'hard_locked' : 'locked', false);
  if (!passwordOk) return fail('bad_password', true);

  const initial = user.password_is_initial === 1;
  if (initial && !(user.initial_expires_at && Date.parse(user.initial_expires_at) > now.getTime())) {
    return fail('initial_expired', true);
  }
  if (user.totp_enrolled === 1) {
    const r = await checkUserTotp(db, deps.secrets.signing, user, code, now);
    if (r === 'bad') return fail('bad_totp', true);
    if (r === 'replay') return fail('totp_replay', true);
  } else if (!initial) {
    // Enrolling a second factor needs the one-time initial password: a stolen
    // everyday password must never be enough to register an attacker's phone.
    return fail('not_enrolled', true);
  }

  const stage = initial || user.totp_enrolled !== 1 ? 'enrol' : 'full';
  const freshSecret = user.totp_enrolled !== 1 ? newTotpSecret() : null;
  const ok = await deps.db.transaction().execute(async (trx) => {
    if (initial) {
      // Single use: the first login spends the initial password (it "expires
      // now"); a parallel second login with it finds nothing to spend.
      if (!(await repo.spendInitialPassword(trx, user.id, now.toISOString()))) return false;
    }
    if (freshSecret) {
      // A new seed at every first login: a seed shown before a reissue (perhaps
      // on a lost phone) never becomes valid.
      await repo.setTotpSecret(trx, user.id, new Sealer(deps.secrets.signing).seal(freshSecret, 'totp'));
    }
    await recordSuccess(trx, { userId: user.id, ip: input.ip, now });
    await audit(trx, deps, input, user, { action: 'login.success', result: 'ok', details: { stage, scope: scope.kind } });
    return true;
  });
  if (!ok) return fail('initial_used', true);
  deps.logger.info({ requestId: input.requestId, userId: user.id, stage }, 'login succeeded');
  return { ok: true, userId: user.id, role: user.role, companyId: user.company_id, stage, stepUp: stage === 'full' && user.totp_enrolled === 1 };
}

type KnownUser = { id: string; role: string; company_id: string | null };

async function failure(
  deps: Deps,
  input: LoginInput,
  now: Date,
  reason: FailureReason,
  user: KnownUser | null,
  counted: boolean,
): Promise<LoginOutcome> {
  await deps.db.transaction().execute(async (trx) => {
    const effects = await recordFailure(trx, { userId: counted && user ? user.id : null, ip: input.ip, now });
    // Never the typed login id: people type passwords into the wrong box.
    await audit(trx, deps, input, user, {
      action: reason === 'totp_replay' ? 'login.totp_replay' : 'login.failure',
      result: 'denied',
      details: { reason, scope: input.scope.kind },
    });
    if (effects.lockout) {
      await audit(trx, deps, input, user, { action: 'login.lockout', result: 'ok', details: { kind: effects.lockout } });
    }
    if (effects.ipBlocked) {
      await audit(trx, deps, input, null, { action: 'login.lockout', result: 'ok', details: { kind: 'ip', ip: input.ip } });
    }
  });
  deps.logger.info({ requestId: input.requestId, userId: user?.id ?? null, reason }, 'login refused');
  return { ok: false, reason };
}

function audit(trx: Transaction<Database>, deps: Deps, input: LoginInput, user: KnownUser | null, e: Pick<AuditEvent, 'action' | 'result' | 'details'>) {
  const acting = requestActing(auditContext(deps), {
    userId: user?.id ?? null,
    role: user?.role ?? null,
    companyId: user?.company_id ?? (input.scope.kind === 'room' ? input.scope.companyId : null),
    requestId: input.requestId ?? null,
  });
  return record(trx, acting, { ...e, targetIds: user ? [user.id] : [] });
}

/**
 * Starts the session a successful login earned. Always a brand-new random id
 * (no fixation), and whatever session the browser held before is destroyed.
 * The login's own fresh TOTP code is the session's step-up for the next
 * limits.session.stepUpMs: asking for another code right away would only make
 * the director wait for the next 30-second step (that code is spent).
 */
export async function startSession(deps: Deps, outcome: Extract<LoginOutcome, { ok: true }>, meta: SessionMeta, previousIdHash?: string): Promise<string> {
  if (previousIdHash) await destroySession(deps.db, previousIdHash);
  return createSession(deps.db, outcome.userId, outcome.stage, deps.clock.now(), meta, outcome.stepUp);
}
