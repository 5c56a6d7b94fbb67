import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Deps } from '../deps.js';
import { actorOf } from '../http/locals.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { signedInActing } from './acting.js';
import { confirmSubmission, returnSubmission, submissionHeader, viewSubmission } from './arrival-service.js';
import { passphraseForm, returnForm } from './schema.js';
import QRCode from 'qrcode';
import { collectUrl } from './links.js';
import { limits } from '../config.js';

/**
 * A submission in the office (issue 18 §3). The office key is unlocked per
 * request with the key passphrase: the view is the answer to that POST,
 * no-store, in memory only — never a page that can be opened again or cached.
 */
const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
const sid = (req: Request) => String((req.params as Record<string, unknown>).sid ?? '');

type Header = Awaited<ReturnType<typeof submissionHeader>>;

export function arrivalRoutes(deps: Deps): Router {
  const r = Router();
  // The submission is looked up before the form is read: a wrong id is the 404 of any unknown URL, never a 400 about the form.
  const submissionFirst: RequestHandler = async (req, res, next) => {
    res.locals.collectSubmission = await submissionHeader(deps, sid(req));
    next();
  };
  const header = (res: Response) => res.locals.collectSubmission as Header;
  const staff = (note: string) => policy({ audience: 'staff', note });

  r.get('/office/collect/:sid', staff('a submission from an employee: the key passphrase form to open it'), async (req, res) => {
    noStore(res);
    res.render('collect/arrival-unlock', { submission: await submissionHeader(deps, sid(req)), failed: false });
  });

  r.post('/office/collect/:sid/open', staff('open a submission with the key passphrase: persons masked beside the identity images (no-store)'), submissionFirst, validate(passphraseForm), async (req, res) => {
    noStore(res);
    const view = await viewSubmission(deps, signedInActing(deps, req, res), actorOf(res), sid(req), input(res, passphraseForm).body.passphrase);
    res.render('collect/arrival', { view });
  });

  r.post('/office/collect/:sid/confirm', staff('confirm a submission: numbers to the vault, persons held, the submission destroyed with a disposal record'), submissionFirst, validate(passphraseForm), async (req, res) => {
    noStore(res);
    const head = header(res);
    const done = await confirmSubmission(deps, signedInActing(deps, req, res), actorOf(res), sid(req), input(res, passphraseForm).body.passphrase);
    res.redirect(303, `/office/companies/${head.companyId}/collect?confirmed=${done.added}${done.heldBack ? `&heldBack=${done.heldBack}` : ''}`);
  });

  r.post('/office/collect/:sid/return', staff('send a submission back with a reason: a new link to the employee, the submission destroyed'), submissionFirst, validate(returnForm), async (req, res) => {
    noStore(res);
    const head = header(res);
    const back = `/office/companies/${head.companyId}/collect`;
    const done = await returnSubmission(deps, signedInActing(deps, req, res), actorOf(res), sid(req), input(res, returnForm).body.reason);
    if (done.mailed) return res.redirect(303, `${back}?returned=1`);
    const url = collectUrl(deps.config.publicUrl, done.link);
    const expiresAt = new Date(deps.clock.now().getTime() + limits.collect.linkTtlMs).toISOString();
    const slip = { name: head.personName, employeeCode: head.employeeCode, url, expiresAt, reason: 'slip', qrSvg: await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
    res.render('collect/slips', { companyName: head.companyName, slips: [slip], mailed: 0, back, when: (iso: string) => formatJst(new Date(iso), res.locals.lang) });
  });

  return r;
}
