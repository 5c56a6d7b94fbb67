import { findActiveCompanyByAccessKey } from './access-keys.js';
import { attemptLogin, normaliseLoginId, startSession } from './login-service.js';
import { verifyPassword } from '../lib/passwords.js';
import * as repo from './repo.js';
import { destroySession } from './sessions.js';
import type { Deps } from '../deps.js';
import { Unauthorized } from '../http/errors.js';
import { sha256 } from '../lib/random.js';

/**
 * Sessions for scripts (HTTP API): the same login decision as the room's
 * login page (auth/login-service.ts: throttles, locks, TOTP replay guard,
 * audit), and an ordinary server-side session whose id the script sends as
 * `Authorization: Bearer <token>` instead of a cookie.
 *
 * Every refusal answers the same 401 (`drops.api.loginFailed`), whether the
 * access key, login id, password or code was wrong: nothing tells which.
 */
export interface ApiLoginInput {
  accessKey: unknown;
  loginId: unknown;
  password: unknown;
  totp: unknown;
  ip: string;
  userAgent: string | null;
  requestId?: string;
}

export interface ApiSession {
  token: string;
  /** When the token dies if unused (each use pushes it on). */
  expiresAt: string;
  /** When it dies at the latest, used or not. */
  absoluteExpiresAt: string;
}

/** A company id no company has: an unknown room still costs one Argon2id and counts against the IP. */
const NO_ROOM = '-no-such-room-';

/** The access key itself, or the bookmarked room URL it is part of. */
function accessKeyOf(input: unknown): string {
  if (typeof input !== 'string' || input.length > 500) return '';
  const m = /\/room\/([A-Za-z0-9_-]+)/.exec(input);
  return (m ? m[1]! : input).trim();
}

export async function apiLogin(deps: Deps, input: ApiLoginInput): Promise<ApiSession> {
  const failed = () => new Unauthorized('drops.api.loginFailed');
  const room = await findActiveCompanyByAccessKey(deps.db, accessKeyOf(input.accessKey));

  // A client that has not finished its first login (initial password, TOTP
  // enrolment) must do that in the browser: attempting it here would spend
  // the single-use initial password and leave the script with nothing.
  // Answered like any failure, after the same Argon2id cost.
  if (room && (await needsFirstLogin(deps, room.id, input.loginId))) {
    await verifyPassword(null, typeof input.password === 'string' ? input.password : '');
    throw failed();
  }

  const outcome = await attemptLogin(deps, {
    loginId: input.loginId,
    password: input.password,
    totp: input.totp,
    ip: input.ip,
    scope: { kind: 'room', companyId: room?.id ?? NO_ROOM },
    requestId: input.requestId,
  });
  if (!outcome.ok || outcome.role !== 'client' || !room) throw failed();
  const token = await startSession(deps, outcome, { ip: input.ip, userAgent: input.userAgent });
  if (outcome.stage !== 'full') {
    // Only reachable in a race with the check above; never hand out an enrolment session.
    await destroySession(deps.db, sha256(token));
    throw failed();
  }
  const now = deps.clock.now().getTime();
  const { clientIdleMs, absoluteMs } = deps.config.limits.session;
  return {
    token,
    expiresAt: new Date(now + clientIdleMs).toISOString(),
    absoluteExpiresAt: new Date(now + absoluteMs).toISOString(),
  };
}

async function needsFirstLogin(deps: Deps, companyId: string, loginId: unknown): Promise<boolean> {
  const id = normaliseLoginId(loginId);
  if (!id) return false;
  const u = await repo.findRoomClientByLoginId(deps.db, companyId, id);
  return !!u && (u.password_is_initial === 1 || u.totp_enrolled !== 1);
}

/** Ends the session behind the bearer token (DELETE /api/v1/session). */
export async function apiLogout(deps: Deps, sessionIdHash: string): Promise<void> {
  await destroySession(deps.db, sessionIdHash);
}
