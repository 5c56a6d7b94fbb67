import type { RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';

/**
 * Paths carry bearer secrets: a room's access key (/room/<key>) and the
 * one-time setup token (/setup/<token>). Anything written to a log must go
 * through this first, so neither can be read back from log files.
 */
export function safePath(path: string): string {
  return path
    .replace(/^\/room\/[^/]+/, '/room/[key]')
    .replace(/^\/setup\/[^/]+/, '/setup/[token]')
    .replace(/\?.*$/, '');
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
          path: safePath(req.path),
          status: res.statusCode,
          ms: Number((process.hrtime.bigint() - start) / 1_000_000n),
        },
        'request',
      );
    });
    next();
  };
}
