import { actorOf } from '../http/locals.js';
import { Router, type RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { policy, type Actor } from '../http/policies.js';
import { lockedUntilOfAlert } from './alert-kinds.js';
import { acknowledgeDirectorAlert, openDirectorAlerts } from './director-alerts.js';
import { jstStamp } from '../lib/jst.js';
import { myNoticeSettings, noticeRecipientCount, setMyNoticeEmail } from './recipients.js';

/**
 * /office/settings/notices — each office member's own notice address;
 * /office/alerts/:id/ack — a director marks a director alert seen (from the
 * console, or from /office/key-locks with back=key-locks).
 * Plus `officeNotices`, which puts the no-recipient warning and the open
 * director alerts into the locals of the office console and the drops list (new arrivals).
 */
export function officeNoticeRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office/settings/notices', policy({ audience: 'staff', note: 'my own notice e-mail address' }), async (req, res) => {
    const actor = actorOf(res);
    const saved = typeof req.query.saved === 'string' ? req.query.saved : '';
    res.set('Cache-Control', 'no-store');
    res.render('office/notice-settings', {
      title: res.locals.t('notify.recipients.title'),
      me: await myNoticeSettings(deps.db, actor.userId),
      nobody: (await noticeRecipientCount(deps.db)) === 0,
      saved: saved === 'set' || saved === 'cleared' ? saved : null,
      error: null,
      value: null,
    });
  });

  r.post('/office/settings/notices', policy({ audience: 'staff', note: 'set or clear my own notice e-mail address' }), async (req, res) => {
    const actor = actorOf(res);
    const raw = typeof req.body?.email === 'string' ? (req.body.email as string) : '';
    const result = await setMyNoticeEmail(deps, actor, raw);
    if (result.ok) return res.redirect(303, `/office/settings/notices?saved=${result.cleared ? 'cleared' : 'set'}`);
    res.status(400).set('Cache-Control', 'no-store');
    res.render('office/notice-settings', {
      title: res.locals.t('notify.recipients.title'),
      me: await myNoticeSettings(deps.db, actor.userId),
      nobody: (await noticeRecipientCount(deps.db)) === 0,
      saved: null,
      error: res.locals.t(result.problem),
      value: raw.slice(0, 300),
    });
  });

  r.post('/office/alerts/:id/ack', policy({ audience: 'director', note: 'mark a director alert as seen' }), async (req, res) => {
    const actor = actorOf(res);
    await acknowledgeDirectorAlert(deps, { alertId: String(req.params.id), by: actor.userId, requestId: res.locals.requestId ?? null });
    // Back to the page the button was on; only known pages, never an address from the form (open redirect).
    res.redirect(303, req.body?.back === 'key-locks' ? '/office/key-locks?done=seen' : '/office?alertSeen=1');
  });
  return r;
}

const CONSOLE_PAGES = new Set(['/office', '/office/drops']);

/**
 * On the office console and the drops list (new arrivals): `noticeWarning` while no one would
 * receive a notice e-mail, and, for directors, the open director alerts.
 * Not a route: it answers nothing and only adds locals for those two pages.
 */
export function officeNotices(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    const actor = res.locals.actor as Actor | undefined;
    if (req.method !== 'GET' || !CONSOLE_PAGES.has(req.path) || !actor || (actor.role !== 'staff' && actor.role !== 'director')) return next();
    res.locals.noticeWarning = (await noticeRecipientCount(deps.db)) === 0;
    res.locals.alertSeen = req.query.alertSeen === '1';
    if (actor.role === 'director') {
      const alerts = await openDirectorAlerts(deps.db);
      res.locals.directorAlerts = alerts.map((a) => {
        const until = lockedUntilOfAlert(a.kind, a.createdAt);
        return { ...a, atJst: jstStamp(a.createdAt), untilJst: until ? jstStamp(until) : '', limit: deps.config.limits.reveal.perHour };
      });
    }
    next();
  };
}
