import type { Request, Response } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Deps } from '../deps.js';
import { attemptLogin, type LoginOutcome, type LoginScope } from './login-service.js';

/**
 * The credential check as a passport-local strategy. passport only reads the
 * fields and calls back; the decision is `attemptLogin`, and kinko keeps its
 * own server-side sessions (`session: false`), so passport's session support
 * is never used. One Authenticator per app: no global state between tests.
 */
export type Authenticate = (req: Request, res: Response, scope: LoginScope) => Promise<LoginOutcome>;

export function loginAuthenticator(deps: Deps): Authenticate {
  const auth = new passport.Authenticator();
  auth.use(
    'local',
    new LocalStrategy({ usernameField: 'loginId', passwordField: 'password', passReqToCallback: true }, (req, loginId, password, done) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      attemptLogin(deps, {
        loginId,
        password,
        totp: body.totp,
        ip: clientIp(req),
        scope: req.res!.locals.loginScope as LoginScope,
        requestId: req.res!.locals.requestId as string | undefined,
      }).then(
        (outcome) => (outcome.ok ? done(null, outcome) : done(null, false, { message: outcome.reason })),
        (err: unknown) => done(err),
      );
    }),
  );

  return (req, res, scope) =>
    new Promise<LoginOutcome>((resolve, reject) => {
      // passport-local also reads the query string; a password in a URL would
      // land in browser history and proxy logs, so such a request is refused.
      if (['loginId', 'password', 'totp'].some((k) => k in (req.query as object))) {
        return resolve({ ok: false, reason: 'missing' });
      }
      res.locals.loginScope = scope;
      const middleware = auth.authenticate('local', { session: false }, (err: unknown, user: LoginOutcome | false) => {
        if (err) return reject(err);
        resolve(user && user.ok ? user : { ok: false, reason: 'missing' });
      });
      middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve({ ok: false, reason: 'missing' })));
    });
}

export function clientIp(req: Request): string {
  return (req.ip ?? req.socket.remoteAddress ?? 'unknown').slice(0, 64);
}
