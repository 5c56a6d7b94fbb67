import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';

/** A random id per request, shown on error pages and in logs, so a person can quote it to the office. */
export const requestId: RequestHandler = (_req, res, next) => {
  res.locals.requestId = randomBytes(8).toString('hex');
  res.set('X-Request-Id', res.locals.requestId);
  next();
};
