import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler } from 'express';
import { cookieNames, cookieOptions } from './cookies.js';
import { Forbidden } from './errors.js';

/**
 * CSRF protection on every state-changing request (uploads included): a
 * double-submit token bound to the session (or pre-session) and HMAC'd with the
 * server secret. Forms carry it in `_csrf`; scripts send `X-CSRF-Token`;
 * multipart forms without JavaScript carry it in the query string, because the
 * body is streamed and not parsed before the check. The token is exposed to
 * views as `csrfToken`.
 */
export function csrfProtection(opts: { secret: Buffer; tls: boolean }): RequestHandler[] {
  const names = cookieNames(opts.tls);
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => opts.secret.toString('base64'),
    getSessionIdentifier: (req) => (req.res?.locals.csrfAnchor as string) ?? '',
    cookieName: names.csrf,
    cookieOptions: cookieOptions(opts.tls),
    size: 32,
    getCsrfTokenFromRequest: (req) =>
      (req.headers['x-csrf-token'] as string | undefined) ??
      (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined ??
      (typeof req.query._csrf === 'string' ? req.query._csrf : undefined),
  });
  return [
    (req, res, next) => {
      if (noAmbientCredential(req, names.session)) return next();
      // A token for the page being rendered, reused while the cookie is valid.
      res.locals.csrfToken = generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
      next();
    },
    (req, res, next) => {
      if (noAmbientCredential(req, names.session)) return next();
      doubleCsrfProtection(req, res, (err?: unknown) => {
        if (err) return next(new Forbidden('errors.csrf'));
        next();
      });
    },
  ];
}

/**
 * CSRF abuses a credential the browser attaches by itself: the session
 * cookie. An API request (/api/…) without a session cookie has none to abuse:
 * it is either anonymous (the API login) or authenticated by an
 * `Authorization: Bearer` header, which a cross-site page cannot make a
 * browser send. Such requests skip the check (other cookies, e.g. the language
 * choice a script's cookie jar may replay, are no credential). Any request
 * carrying the session cookie is checked as usual.
 */
function noAmbientCredential(req: Request, sessionCookie: string): boolean {
  return req.path.startsWith('/api/') && !(req.cookies as Record<string, unknown> | undefined)?.[sessionCookie];
}
