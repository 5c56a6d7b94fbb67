import { actorOf } from '../http/locals.js';
import { Router, type Request, type Response } from 'express';
import { actingFrom } from '../accounts/acting.js';
import { requireOwnRoom } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { companyOfPerson, companyRetentionPage, knownErrorKey, roomLeavers, schedulePage } from './pages.js';
import { dateBody, departureBody, holdBody, leaversBody, servicesBody } from './schema.js';
import { bookDisposal, reportDeparture, reportDepartures, setCompanyServices, setContractEnd, setHold } from './service.js';

/**
 * Retention pages: the office's 廃棄予定 and a company's retention, the
 * person-page forms (departure, hold, booking), and the room's leaver report.
 * A refusal a person can fix comes back as the page with its message (PRG:
 * the key of a known message in the redirect, never free text).
 */
const lang = (res: Response): 'ja' | 'en' => (res.locals.lang === 'en' ? 'en' : 'ja');
const acting = (res: Response) => actingFrom(actorOf(res), res.locals.requestId);
const id = (req: Request, name: string) => String((req.params as Record<string, string>)[name] ?? '');

/** Runs a change; a person's mistake goes back to `back` with its message key. */
async function change(res: Response, back: string, fn: () => Promise<unknown>) {
  try {
    await fn();
    res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}saved=1`);
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}error=${encodeURIComponent(err.messageKey.replace(/^retention\.errors\./, ''))}`);
  }
}

function parsed<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadRequest('retention.errors.badDate');
  return r.data;
}

export function retentionRoutes(deps: Deps): Router {
  const r = Router();
  const staff = (note: string) => policy({ audience: 'staff', note });
  const director = (note: string) => policy({ audience: 'director', note });

  r.get('/office/retention', staff('廃棄予定: numbers due per company and month (counts only)'), async (req, res) => {
    const moved = typeof req.query.moved === 'string' && /^[0-9]{1,7}$/.test(req.query.moved) ? Number(req.query.moved) : null;
    res.render('office/retention', { title: res.locals.t('retention.page.title'), ...(await schedulePage(deps)), moved, message: null });
  });

  r.get('/office/companies/:companyId/retention', staff("a company's services, contract end and each person's disposal date with its basis"), async (req, res) => {
    const page = await companyRetentionPage(deps, id(req, 'companyId'), lang(res));
    const err = knownErrorKey(req.query.error);
    res.render('office/company-retention', {
      title: res.locals.t('retention.company.title', { company: page.company.name }),
      ...page,
      isDirector: actorOf(res).role === 'director',
      message: err ? res.locals.t(err) : null,
      saved: req.query.saved === '1',
    });
  });

  r.post('/office/companies/:companyId/services', director("set the services contracted for a company (they set the retention periods)"), async (req, res) => {
    const companyId = id(req, 'companyId');
    await change(res, `/office/companies/${encodeURIComponent(companyId)}/retention`, () => setCompanyServices(deps, acting(res), { companyId, ...parsed(servicesBody, req.body) }));
  });

  r.post('/office/companies/:companyId/contract-end', director("set or clear the end of the client's contract"), async (req, res) => {
    const companyId = id(req, 'companyId');
    await change(res, `/office/companies/${encodeURIComponent(companyId)}/retention`, () => setContractEnd(deps, acting(res), { companyId, ...parsed(dateBody, req.body) }));
  });

  const personBack = (personId: string) => `/office/persons/${encodeURIComponent(personId)}`;
  r.post('/office/persons/:id/departure', staff('record that a held person left (退職) or left the household'), async (req, res) => {
    const personId = id(req, 'id');
    const companyId = await companyOfPerson(deps, personId);
    await change(res, personBack(personId), () => reportDeparture(deps, acting(res), { companyId, personId, ...parsed(departureBody, req.body), via: 'office' }));
  });

  r.post('/office/persons/:id/hold', staff('put a held person on hold (保留) or lift it'), async (req, res) => {
    const personId = id(req, 'id');
    const companyId = await companyOfPerson(deps, personId);
    await change(res, personBack(personId), () => setHold(deps, acting(res), { companyId, personId, ...parsed(holdBody, req.body) }));
  });

  r.post('/office/persons/:id/booking', staff('book (or cancel) a disposal date by hand (削除予約)'), async (req, res) => {
    const personId = id(req, 'id');
    const companyId = await companyOfPerson(deps, personId);
    await change(res, personBack(personId), () => bookDisposal(deps, acting(res), { companyId, personId, ...parsed(dateBody, req.body) }));
  });

  r.get('/room/:key/leavers', policy({ audience: 'client', tenant: true, note: 'the client reports leavers from the list of people held (no numbers)' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    const err = knownErrorKey(req.query.error);
    const saved = Number.parseInt(String(req.query.saved ?? ''), 10);
    res.render('room/leavers', { room: { id: room.id, name: room.name }, base: `/room/${room.key}`, ...(await roomLeavers(deps, room.id)), message: err ? res.locals.t(err) : null, saved: Number.isFinite(saved) && saved > 0 ? saved : 0 });
  });

  r.post('/room/:key/leavers', policy({ audience: 'client', tenant: true, note: 'the client reports leavers (退職 / 扶養から外れた), with dates' }), async (req, res) => {
    const { room, actor } = await requireOwnRoom(deps, req.params.key, res);
    const base = `/room/${room.key}/leavers`;
    const reports = parsed(leaversBody, req.body);
    if (reports.length === 0) return res.redirect(303, `${base}?error=nothing`);
    try {
      await reportDepartures(deps, actingFrom(actor, res.locals.requestId), { companyId: room.id, via: 'room', reports });
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      return res.redirect(303, `${base}?error=${encodeURIComponent(err.messageKey.replace(/^retention\.errors\./, ''))}`);
    }
    res.redirect(303, `${base}?saved=${reports.length}`);
  });

  return r;
}
