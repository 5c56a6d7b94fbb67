import type { Request, RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';

/**
 * Paths carry bearer secrets: a room's access key (/room/<key>) and the
 * one-time setup token (/setup/<token>). Anything written to a log must go
 * through safePath first, so neither can be read back from log files.
 *
 * Masking follows the route that matched, not a spelling of its prefix:
 * Express matches `/ROOM/<key>` and `/room/%41…` as `/room/:key` (routing is
 * case-insensitive and params are decoded), so a lower-case `/room/` prefix
 * test let such variants write the key in clear (issue 12 item 8). A path no
 * route claimed (404s, typos like `/room//<key>`) has every segment that
 * could be a bearer secret masked instead.
 */
const SECRET_PARAMS: Readonly<Record<string, string>> = { ':key': '[key]', ':token': '[token]' };
/** Long base64url runs: access keys (32), setup tokens, session ids. Ids of drops/persons are shorter. */
const SECRET_LIKE = /^[A-Za-z0-9_-]{24,}$/;

type PathOf = Pick<Request, 'path'> & { route?: { path?: unknown } };

export function safePath(req: PathOf): string {
  const segments = req.path.replace(/\?.*$/, '').split('/');
  const pattern = typeof req.route?.path === 'string' ? req.route.path.split('/') : null;
  if (pattern && pattern.length === segments.length) {
    return segments.map((s, i) => SECRET_PARAMS[pattern[i]!] ?? s).join('/');
  }
  return segments.map((s) => (SECRET_LIKE.test(decoded(s)) ? '[masked]' : s)).join('/');
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** One line per request: method, safe path, status, time. No query strings, no headers, no bodies. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          requestId: res.locals.requestId,
          method: req.method,
          path: safePath(req),
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - start) / 1_000_000n),
        },
        'request',
      );
    });
    next();
  };
}
