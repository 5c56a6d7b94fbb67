import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { i18n } from 'i18next';
import type { Logger } from '../log/logger.js';
import { safePath } from './access-log.js';
import { ensurePageLocals, fallbackErrorPage } from './error-page.js';
import { AppError, InsufficientStorage, NotFound, outOfSpaceCode } from './errors.js';

/** Registered after every route: anything unmatched is the plain 404 page. */
export const notFoundHandler: RequestHandler = () => {
  throw new NotFound();
};

function wantsJson(req: Parameters<RequestHandler>[0]): boolean {
  return req.path.startsWith('/api/') || (!req.accepts('html') && !!req.accepts('json'));
}

/** 4xx errors from Express's own parts (body parsers, static files, sendFile) in plain words. */
const PLAIN_4XX: Record<number, string> = { 403: 'errors.forbidden', 404: 'errors.notFound', 413: 'errors.payloadTooLarge' };

/** A signed-out person opening an office or room page is sent to the matching login page. */
function loginPageFor(path: string): string | null {
  if (path.startsWith('/office/') || path === '/office') return '/office/login';
  const room = /^\/room\/([A-Za-z0-9_-]{32})\//.exec(path);
  return room ? `/room/${room[1]}` : null;
}

/**
 * The single error handler, registered last. Known errors get their status and
 * a translated message; anything else is logged with the request id and shown
 * as a generic page carrying only that id — never a stack or an internal
 * message, which could leak paths, SQL or personal data.
 */
export function errorHandler(logger: Logger, texts: i18n): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // A full disk anywhere (drops folder, vault, database) is named as such, not a generic 500.
    const full = err instanceof AppError ? undefined : outOfSpaceCode(err);
    if (full) err = Object.assign(new InsufficientStorage(full), { cause: err });
    const known = err instanceof AppError;
    const bodyError = !known && typeof err?.status === 'number' && err.status >= 400 && err.status < 500;
    const status = known ? err.status : bodyError ? err.status : 500;
    const key = known ? err.messageKey : bodyError ? (PLAIN_4XX[status] ?? 'errors.badRequest') : 'errors.internal';
    const params = known ? err.params : {};
    const requestId = res.locals.requestId;
    if (status >= 500) logger.error({ err, requestId, path: safePath(req) }, 'request failed');
    else logger.info({ requestId, status, key }, 'request refused');
    if (res.headersSent) return res.destroy();
    const login = status === 401 && req.method === 'GET' && !wantsJson(req) ? loginPageFor(req.path) : null;
    if (login) return res.redirect(303, login);
    const t = ensurePageLocals(texts, req, res);
    const message = t(key, params);
    const title = t('errors.title', { status });
    // A failed file answer (sendFile, static) may have set its own type and validators already.
    for (const h of ['Content-Type', 'Content-Disposition', 'Content-Encoding', 'Content-Length', 'ETag', 'Last-Modified']) res.removeHeader(h);
    res.status(status).set('Cache-Control', 'no-store');
    if (wantsJson(req)) return res.json({ error: { status, code: key.replace(/^errors\./, ''), message, requestId } });
    // The handler must never fail: if the view cannot render, a fixed page — never Express's stack trace.
    res.render('error', { status, message, requestId, title }, (renderErr, html) => {
      if (!renderErr) return res.type('html').send(html);
      logger.error({ err: renderErr, requestId }, 'error page could not be rendered; fallback page sent');
      res.type('html').send(fallbackErrorPage({ lang: String(res.locals.lang), title, message, requestId, requestIdLabel: t('errors.requestId') }));
    });
  };
}
