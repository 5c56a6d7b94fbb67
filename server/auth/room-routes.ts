import { uploadLimitsView } from '../http/upload-limits-view.js';
import { Router, type Response } from 'express';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { completeEnrolment, enrolmentForm } from './enrolment.js';
import { startSession } from './login-service.js';
import { loginAuthenticator } from './passport.js';
import { openRoom, requireOwnRoom, roomActor, roomEnrolling, type Room } from './room-access.js';
import { currentSessionHash, sessionCookies, sessionMeta } from './session-cookie.js';
import { logoutEverywhere, sessionRows } from './session-list.js';
import { destroySession } from './sessions.js';

const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
const t = (res: Response) => res.locals.t as (k: string, o?: object) => string;
/** What every room view needs: the company and the room's base URL. */
const roomLocals = (room: Room) => ({ room: { id: room.id, name: room.name }, base: `/room/${room.key}` });

/**
 * /room/:key — the client's bookmarked room: login, first-login enrolment,
 * the room page, sessions and logout. The key is resolved first on every
 * route, so a wrong, rotated or revoked key is the plain 404 of any unknown URL.
 */
export function roomRoutes(deps: Deps): Router {
  const r = Router();
  const authenticate = loginAuthenticator(deps);
  const cookies = sessionCookies(deps);

  r.get('/room/:key', policy({ audience: 'public', note: 'room: login form, or the room page when signed in for this company' }), async (req, res) => {
    const room = await openRoom(deps, req.params.key);
    const base = roomLocals(room);
    noStore(res);
    if (roomActor(res, room)) return res.render('room/room', { ...base, uploadLimits: uploadLimitsView(deps.config.limits.upload) });
    if (roomEnrolling(res, room)) return res.redirect(303, `${base.base}/welcome`);
    const notice = req.query.bye === 'all' ? t(res)('auth.loggedOutEverywhere') : req.query.bye ? t(res)('auth.loggedOut') : null;
    res.render('room/login', { ...base, failed: false, notice });
  });

  r.post('/room/:key/login', policy({ audience: 'public', note: 'client login for this room' }), async (req, res) => {
    const room = await openRoom(deps, req.params.key);
    const base = roomLocals(room);
    noStore(res);
    const outcome = await authenticate(req, res, { kind: 'room', companyId: room.id });
    if (!outcome.ok) return res.status(401).render('room/login', { ...base, failed: true });
    const sid = await startSession(deps, outcome, sessionMeta(req, res), currentSessionHash(res));
    cookies.set(res, sid);
    res.redirect(303, outcome.stage === 'enrol' ? `${base.base}/welcome` : base.base);
  });

  r.get('/room/:key/welcome', policy({ audience: 'public', note: 'first-login enrolment; needs an enrol session of this room' }), async (req, res) => {
    const room = await openRoom(deps, req.params.key);
    const base = roomLocals(room);
    const e = roomEnrolling(res, room);
    const form = e && (await enrolmentForm(deps, e.userId));
    if (!form) return res.redirect(303, base.base);
    res.render('room/welcome', { ...base, form, minLength: deps.config.limits.password.minLength });
  });

  r.post('/room/:key/welcome', policy({ audience: 'public', note: 'first-login enrolment; needs an enrol session of this room' }), async (req, res) => {
    const room = await openRoom(deps, req.params.key);
    const base = roomLocals(room);
    const e = roomEnrolling(res, room);
    if (!e) return res.redirect(303, base.base);
    const result = await completeEnrolment(deps, e, req.body ?? {}, sessionMeta(req, res));
    if (result.ok) {
      cookies.set(res, result.sessionId);
      return res.redirect(303, base.base);
    }
    const form = await enrolmentForm(deps, e.userId);
    if (!form) return res.redirect(303, base.base);
    res.status(400).render('room/welcome', { ...base, form, minLength: deps.config.limits.password.minLength, problem: t(res)(result.problem, result.params) });
  });

  r.get('/room/:key/sessions', policy({ audience: 'client', tenant: true, note: "the client's own sessions" }), async (req, res) => {
    const { room, actor } = await requireOwnRoom(deps, req.params.key, res);
    res.render('room/sessions', { ...roomLocals(room), sessions: await sessionRows(deps, actor) });
  });

  r.post('/room/:key/logout', policy({ audience: 'public', note: 'ends the current session, if any' }), async (req, res) => {
    const room = await openRoom(deps, req.params.key);
    const h = currentSessionHash(res);
    if (h) await destroySession(deps.db, h);
    cookies.clear(res);
    res.redirect(303, `${roomLocals(room).base}?bye=1`);
  });

  r.post('/room/:key/logout-everywhere', policy({ audience: 'client', tenant: true, note: 'ends every session of the signed-in client' }), async (req, res) => {
    const { room, actor } = await requireOwnRoom(deps, req.params.key, res);
    await logoutEverywhere(deps, actor, res.locals.requestId);
    cookies.clear(res);
    res.redirect(303, `${roomLocals(room).base}?bye=all`);
  });

  return r;
}
