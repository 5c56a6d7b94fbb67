import type { RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { randomId } from '../lib/random.js';
import { cookieNames, cookieOptions } from '../http/cookies.js';
import { loadSession, stepUpFresh, touchSession } from './sessions.js';

/**
 * Resolves the session cookie into `res.locals.actor` on every request. A dead
 * session (revoked user or company, idle, too old) is cleared here, so
 * revocation takes effect at the very next request. Anonymous visitors get a
 * random pre-session id that anchors their CSRF token; it is replaced by a new
 * session id at login (no fixation).
 */
export function sessionMiddleware(deps: Deps): RequestHandler {
  const tls = deps.config.publicUrl.startsWith('https:');
  const names = cookieNames(tls);
  const opts = cookieOptions(tls);
  return async (req, res, next) => {
    const now = deps.clock.now();
    res.locals.stepUpFresh = (a: Parameters<typeof stepUpFresh>[0]) => stepUpFresh(a, deps.clock.now());
    const api = req.path.startsWith('/api/');
    const bearer = api ? bearerToken(req.headers.authorization) : undefined;
    if (bearer !== undefined) {
      // Scripts (HTTP API, /api/ only): the session id travels in the
      // Authorization header instead of a cookie. The same server-side
      // session rules apply (idle, absolute, revocation). Cookies are ignored
      // on such a request, and nothing is set: a script needs no cookie jar.
      const s = bearer.length > 0 && bearer.length <= 100 ? await loadSession(deps.db, bearer, now) : null;
      res.locals.bearer = true;
      if (s && s.stage === 'full') {
        touchLater(deps, s, now);
        res.locals.actor = s;
        res.locals.csrfAnchor = s.sessionId;
      } else {
        res.locals.csrfAnchor = 'bearer:none';
      }
      res.set('Cache-Control', 'no-store');
      return next();
    }
    const sid: string | undefined = req.cookies?.[names.session];
    if (sid && sid.length <= 100) {
      const s = await loadSession(deps.db, sid, now);
      if (s) {
        touchLater(deps, s, now);
        if (s.stage === 'full') res.locals.actor = s;
        else res.locals.enrolling = s;
        res.locals.csrfAnchor = s.sessionId;
      } else {
        res.clearCookie(names.session, opts);
      }
    }
    if (!res.locals.csrfAnchor) {
      let pre: string | undefined = req.cookies?.[names.pre];
      // API calls get no pre-session cookie: scripts need no cookie jar (see csrf.ts).
      if (api && !pre) pre = 'api';
      else if (!pre || pre.length > 100) {
        pre = randomId(16);
        res.cookie(names.pre, pre, opts);
      }
      res.locals.csrfAnchor = `pre:${pre}`;
    }
    // Authenticated pages must not be kept by browsers or proxies.
    if (res.locals.actor || res.locals.enrolling) res.set('Cache-Control', 'no-store');
    next();
  };
}

/**
 * Records "last seen" without making the request wait for it: on the embedded
 * database a write waits for any open transaction (a large ingest's commit
 * holds one for seconds), and a page must not stall for a bookkeeping update.
 * The update still happens, just after; a failure is logged, not shown.
 */
function touchLater(deps: Deps, s: Parameters<typeof touchSession>[1], now: Date): void {
  touchSession(deps.db, s, now).catch((err: unknown) => deps.logger.warn({ err }, 'session last-seen time not recorded'));
}

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9_-]*)\s*$/i.exec(header);
  return m ? m[1]! : '';
}
