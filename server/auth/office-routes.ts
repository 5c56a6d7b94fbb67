import { actorOf } from '../http/locals.js';
import { Router, type Response } from 'express';
import type { Deps } from '../deps.js';
import { policy, type Actor } from '../http/policies.js';
import { completeEnrolment, enrolmentForm } from './enrolment.js';
import { startSession } from './login-service.js';
import { clientIp, loginAuthenticator } from './passport.js';
import { currentSessionHash, sessionCookies, sessionMeta } from './session-cookie.js';
import { logoutEverywhere, sessionRows } from './session-list.js';
import { destroySession, type LoadedSession } from './sessions.js';
import { safeOfficeNext, stepUp } from './step-up.js';

const isOffice = (a: Actor | undefined) => !!a && a.role !== 'client';
const officeEnrolling = (res: Response) => {
  const e = res.locals.enrolling as LoadedSession | undefined;
  return e && e.role !== 'client' ? e : undefined;
};
const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
const t = (res: Response) => res.locals.t as (k: string, o?: object) => string;

/** /office/login, /office/welcome, /office/logout, /office/step-up, /office/sessions */
export function officeAuthRoutes(deps: Deps): Router {
  const r = Router();
  const authenticate = loginAuthenticator(deps);
  const cookies = sessionCookies(deps);

  r.get('/office/login', policy({ audience: 'public', note: 'office login form' }), (req, res) => {
    if (isOffice(res.locals.actor)) return res.redirect(303, '/office');
    if (officeEnrolling(res)) return res.redirect(303, '/office/welcome');
    noStore(res);
    const notice = req.query.bye === 'all' ? t(res)('auth.loggedOutEverywhere') : req.query.bye ? t(res)('auth.loggedOut') : null;
    res.render('office/login', { failed: false, notice });
  });

  r.post('/office/login', policy({ audience: 'public', note: 'office login (director, staff)' }), async (req, res) => {
    noStore(res);
    const outcome = await authenticate(req, res, { kind: 'office' });
    if (!outcome.ok) return res.status(401).render('office/login', { failed: true });
    const sid = await startSession(deps, outcome, sessionMeta(req, res), currentSessionHash(res));
    cookies.set(res, sid);
    res.redirect(303, outcome.stage === 'enrol' ? '/office/welcome' : '/office');
  });

  r.get('/office/welcome', policy({ audience: 'public', note: 'first-login enrolment; needs an enrol session' }), async (_req, res) => {
    const e = officeEnrolling(res);
    const form = e && (await enrolmentForm(deps, e.userId));
    if (!form) return res.redirect(303, isOffice(res.locals.actor) ? '/office' : '/office/login');
    res.render('office/welcome', { form, minLength: deps.config.limits.password.minLength });
  });

  r.post('/office/welcome', policy({ audience: 'public', note: 'first-login enrolment; needs an enrol session' }), async (req, res) => {
    const e = officeEnrolling(res);
    if (!e) return res.redirect(303, '/office/login');
    const result = await completeEnrolment(deps, e, req.body ?? {}, sessionMeta(req, res));
    if (result.ok) {
      cookies.set(res, result.sessionId);
      return res.redirect(303, '/office');
    }
    const form = await enrolmentForm(deps, e.userId);
    if (!form) return res.redirect(303, '/office/login');
    res.status(400).render('office/welcome', { form, minLength: deps.config.limits.password.minLength, problem: t(res)(result.problem, result.params) });
  });

  r.post('/office/logout', policy({ audience: 'public', note: 'ends the current session, if any' }), async (_req, res) => {
    const h = currentSessionHash(res);
    if (h) await destroySession(deps.db, h);
    cookies.clear(res);
    res.redirect(303, '/office/login?bye=1');
  });

  r.post('/office/logout-everywhere', policy({ audience: 'staff', note: 'ends every session of the signed-in person' }), async (_req, res) => {
    await logoutEverywhere(deps, actorOf(res), res.locals.requestId);
    cookies.clear(res);
    res.redirect(303, '/office/login?bye=all');
  });

  r.get('/office/sessions', policy({ audience: 'staff', note: "the signed-in person's own sessions" }), async (_req, res) => {
    res.render('office/sessions', { sessions: await sessionRows(deps, actorOf(res)) });
  });

  r.get('/office/step-up', policy({ audience: 'staff', note: 'fresh TOTP before sensitive actions' }), (req, res) => {
    res.render('office/step-up', { next: safeOfficeNext(req.query.next), failed: false });
  });

  r.post('/office/step-up', policy({ audience: 'staff', note: 'fresh TOTP before sensitive actions' }), async (req, res) => {
    const next = safeOfficeNext(req.query.next);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const ok = await stepUp(deps, actorOf(res), body.code, { ip: clientIp(req), requestId: res.locals.requestId });
    if (ok) return res.redirect(303, next);
    res.status(401).render('office/step-up', { next, failed: true });
  });

  return r;
}
