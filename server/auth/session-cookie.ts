import type { Request, Response } from 'express';
import type { Deps } from '../deps.js';
import { cookieNames, cookieOptions } from '../http/cookies.js';
import type { LoadedSession } from './sessions.js';
import type { Actor } from '../http/policies.js';
import { clientIp } from './passport.js';

/** Sets and clears the session cookie with the flags from cookies.ts. */
export function sessionCookies(deps: Deps) {
  const tls = deps.config.publicUrl.startsWith('https:');
  const names = cookieNames(tls);
  const opts = cookieOptions(tls);
  return {
    /** A new session: the pre-session id (and with it the old CSRF token) is dropped. */
    set(res: Response, sid: string) {
      res.cookie(names.session, sid, opts);
      res.clearCookie(names.pre, opts);
      res.clearCookie(names.csrf, opts);
    },
    clear(res: Response) {
      res.clearCookie(names.session, opts);
      res.clearCookie(names.csrf, opts);
    },
  };
}

/** The session the browser currently holds (full or enrol), as its id hash. */
export function currentSessionHash(res: Response): string | undefined {
  return (res.locals.actor as Actor | undefined)?.sessionId ?? (res.locals.enrolling as LoadedSession | undefined)?.sessionId;
}

export function sessionMeta(req: Request, res: Response) {
  return {
    ip: clientIp(req),
    userAgent: req.get('user-agent') ?? null,
    requestId: res.locals.requestId as string | undefined,
  };
}
