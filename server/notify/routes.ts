import { Router, type RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { policy, type Actor } from '../http/policies.js';
import { unseenCount } from './service.js';

/** The header badge of new arrivals, and the old inbox address (now the drops list, server/ingest/routes.ts). */
export function notifyRoutes(deps: Deps): Router {
  const r = Router();
  r.use(inboxBadge(deps));

  // The inbox was a second page of new drops that could not start an ingest;
  // new arrivals are now shown on the drops list (issue 11), so old links and
  // bookmarks land there.
  r.get('/office/inbox', policy({ audience: 'staff', note: 'old address of the inbox: redirects to the drops list, which shows new arrivals' }), (_req, res) => {
    res.redirect(302, '/office/drops');
  });
  return r;
}

/**
 * Puts the unseen-arrival count into `res.locals.inboxBadge` for signed-in
 * staff and directors (the office header shows it). Not a route: it answers
 * nothing and does nothing for clients or visitors. Exported so the app can
 * also mount it ahead of other office routers.
 */
export function inboxBadge(deps: Deps): RequestHandler {
  return async (_req, res, next) => {
    const actor = res.locals.actor as Actor | undefined;
    if (actor && (actor.role === 'staff' || actor.role === 'director')) {
      res.locals.inboxBadge = await unseenCount(deps.db, actor.userId, deps.clock.now());
    }
    next();
  };
}
