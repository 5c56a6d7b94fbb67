import { Router, type RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { policy, type Actor } from '../http/policies.js';
import { formatJst } from './jst.js';
import { INBOX_DAYS, openInbox, unseenCount } from './service.js';

/** /office/inbox — the office's list of new drops per room, and the header badge. */
export function notifyRoutes(deps: Deps): Router {
  const r = Router();
  r.use(inboxBadge(deps));

  r.get('/office/inbox', policy({ audience: 'staff', note: 'office inbox: new drops per room (counts only)' }), async (_req, res) => {
    const actor = res.locals.actor as Actor;
    const entries = await openInbox(deps, actor.userId);
    res.locals.inboxBadge = 0; // opening the inbox is seeing it
    res.render('office/inbox', {
      title: res.locals.t('notify.inbox.title'),
      days: INBOX_DAYS,
      entries: entries.map((e) => ({ ...e, lastAtJst: formatJst(e.lastAt) })),
    });
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
