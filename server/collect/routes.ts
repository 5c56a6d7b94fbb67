import { Router, type Request, type RequestHandler, type Response } from 'express';
import { requireOwnRoom, type Room } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { signedInActing } from './acting.js';
import { currentNotice, saveNotice } from './notice.js';
import { receivedSubmissions } from './arrival-service.js';
import { imagePolicy } from './image-policy.js';
import { keptImagesOfCompany } from './kept-images.js';
import { noticeForm, requestForm } from './schema.js';
import { issueRequests, listRequests, revokeRequest, type Issued } from './service.js';

/**
 * Requests for collection (issue 18 §1): the client from its room, the office
 * from the company page, list the employees to ask; each gets a one-time link
 * by e-mail or on a printed slip. Both pages show per person only a status.
 * The slips are the answer to the POST that made the links (no-store), never
 * a page that can be opened again: kinko keeps only the links' hashes.
 */
const param = (req: Request, name: string) => String((req.params as Record<string, unknown>)[name] ?? '');
const when = (res: Response) => (iso: string) => formatJst(new Date(iso), res.locals.lang);

async function companyOfOffice(deps: Deps, id: string) {
  const c = await deps.db.selectFrom('companies').select(['id', 'name', 'status']).where('id', '=', id).executeTakeFirst();
  if (!c) throw new NotFound();
  return c;
}

type OfficeCompany = Awaited<ReturnType<typeof companyOfOffice>>;

/** The room or company is resolved before the body is read, so a wrong one is the 404 of any unknown URL, never a 400 about the form. */
const roomFirst = (deps: Deps): RequestHandler => async (req, res, next) => {
  res.locals.collectRoom = (await requireOwnRoom(deps, req.params.key, res)).room;
  next();
};
const companyFirst = (deps: Deps): RequestHandler => async (req, res, next) => {
  res.locals.collectCompany = await companyOfOffice(deps, param(req, 'id'));
  next();
};

function renderIssued(res: Response, back: string, companyName: string, issued: Issued) {
  if (issued.slips.length === 0) return res.redirect(303, `${back}?sent=${issued.mailed}`);
  res.set('Cache-Control', 'no-store');
  res.render('collect/slips', { companyName, slips: issued.slips, mailed: issued.mailed, back, when: when(res) });
}

export function collectRoutes(deps: Deps): Router {
  const r = Router();
  const count = (v: unknown) => Math.max(0, Number.parseInt(String(v ?? ''), 10) || 0);
  const sent = (req: Request) => count(req.query.sent);

  r.get('/room/:key/collect', policy({ audience: 'client', tenant: true, note: 'ask employees for their own My Number: the form and each request’s status (no numbers)' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    res.set('Cache-Control', 'no-store');
    res.render('collect/room', { room: { id: room.id, name: room.name }, base: `/room/${room.key}`, requests: await listRequests(deps, room.id), sent: sent(req), when: when(res) });
  });

  r.post('/room/:key/collect', policy({ audience: 'client', tenant: true, note: 'issue one-time collection links to the employees listed' }), roomFirst(deps), validate(requestForm), async (req, res) => {
    const room = res.locals.collectRoom as Room;
    const issued = await issueRequests(deps, signedInActing(deps, req, res), { companyId: room.id, people: input(res, requestForm).body });
    renderIssued(res, `/room/${room.key}/collect`, room.name, issued);
  });

  r.post('/room/:key/collect/:id/revoke', policy({ audience: 'client', tenant: true, note: 'take back an unused collection link' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    await revokeRequest(deps, signedInActing(deps, req, res), { companyId: room.id, requestId: param(req, 'id') });
    res.redirect(303, `/room/${room.key}/collect`);
  });

  r.get('/office/companies/:id/collect', policy({ audience: 'staff', note: "a company's collection requests (statuses only) and the form to ask employees" }), async (req, res) => {
    const company = await companyOfOffice(deps, param(req, 'id'));
    res.set('Cache-Control', 'no-store');
    const done = { confirmed: count(req.query.confirmed), heldBack: count(req.query.heldBack), returned: req.query.returned === '1', imagesDestroyed: req.query.imagesDestroyed === '1' };
    res.render('collect/office', {
      company, requests: await listRequests(deps, company.id), submissions: await receivedSubmissions(deps, company.id), sent: sent(req), done, when: when(res),
      keptImages: await keptImagesOfCompany(deps, company.id), imagesKeptDays: (await imagePolicy(deps.db)).keepDays,
    });
  });

  r.post('/office/companies/:id/collect', policy({ audience: 'staff', note: 'issue one-time collection links for employees of this company' }), companyFirst(deps), validate(requestForm), async (req, res) => {
    const company = res.locals.collectCompany as OfficeCompany;
    const issued = await issueRequests(deps, signedInActing(deps, req, res), { companyId: company.id, people: input(res, requestForm).body });
    renderIssued(res, `/office/companies/${company.id}/collect`, company.name, issued);
  });

  r.post('/office/companies/:id/collect/:rid/revoke', policy({ audience: 'staff', note: 'take back an unused collection link' }), async (req, res) => {
    const company = await companyOfOffice(deps, param(req, 'id'));
    await revokeRequest(deps, signedInActing(deps, req, res), { companyId: company.id, requestId: param(req, 'rid') });
    res.redirect(303, `/office/companies/${company.id}/collect`);
  });

  r.get('/office/companies/:id/collect/notice', policy({ audience: 'staff', note: "the company's 利用目的 notice shown to employees (versioned)" }), async (req, res) => {
    const company = await companyOfOffice(deps, param(req, 'id'));
    res.render('collect/notice-edit', { company, notice: await currentNotice(deps, company.id), saved: req.query.saved === '1', when: when(res) });
  });

  r.post('/office/companies/:id/collect/notice', policy({ audience: 'staff', note: 'save a new version of the 利用目的 notice' }), companyFirst(deps), validate(noticeForm), async (req, res) => {
    const company = res.locals.collectCompany as OfficeCompany;
    await saveNotice(deps, signedInActing(deps, req, res), { companyId: company.id, body: input(res, noticeForm).body.body });
    res.redirect(303, `/office/companies/${company.id}/collect/notice?saved=1`);
  });

  return r;
}
