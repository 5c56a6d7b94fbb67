import express, { Router, type Request, type Response } from 'express';
import { clientIp } from '../auth/passport.js';
import { limits } from '../config.js';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { employeeActing } from './acting.js';
import { acknowledgeNotice, admitSubmission, decline, openLink, submit, type AdmittedLink } from './employee-service.js';
import { acknowledgeForm, declineForm, submitHeaders } from './schema.js';

/**
 * /c/<token> — the employee's page: no account, the one-time link is the
 * credential. Phone first, Japanese first. Every answer is no-store (the
 * page names a person; nothing of it may stay in a shared phone's cache).
 * The token is the `:token` param, so the access log masks it.
 */
const noStore = (res: Response) => res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
const tokenOf = (req: Request) => (req.params as Record<string, unknown>).token;

export function employeeRoutes(deps: Deps): Router {
  const r = Router();
  const acting = (req: Request, res: Response) => (companyId: string) => employeeActing(deps, req, res, companyId);
  const page = `/c`;

  r.get('/c/:token', policy({ audience: 'public', note: "the employee's one-time collection page: the purpose notice, then the form (the link is the credential)" }), async (req, res) => {
    noStore(res);
    const { request, notice } = await openLink(deps, acting(req, res), clientIp(req), tokenOf(req));
    const base = `${page}/${String(tokenOf(req))}`;
    const shared = { base, request, notice, expires: formatJst(new Date(request.expiresAt), res.locals.lang), limits: limits.collect };
    res.render(request.acknowledged ? 'collect/employee-form' : 'collect/employee-notice', shared);
  });

  r.post('/c/:token/acknowledge', policy({ audience: 'public', note: 'the employee acknowledges the purpose notice (version and time recorded)' }), validate(acknowledgeForm), async (req, res) => {
    noStore(res);
    await acknowledgeNotice(deps, acting(req, res), clientIp(req), tokenOf(req), input(res, acknowledgeForm).body.version);
    res.redirect(303, `${page}/${String(tokenOf(req))}`);
  });

  r.post('/c/:token/decline', policy({ audience: 'public', note: 'the employee declines, with a reason (recorded without any number)' }), validate(declineForm), async (req, res) => {
    noStore(res);
    await decline(deps, acting(req, res), clientIp(req), tokenOf(req), input(res, declineForm).body.reason);
    res.render('collect/employee-done', { outcome: 'declined' });
  });

  r.post(
    '/c/:token/submit',
    policy({ audience: 'public', note: 'the employee sends the form and images, encrypted in the browser to the office key' }),
    // The link first, before the body is read: a wrong link is a 404 at once, whatever is being sent.
    async (req, res, next) => {
      noStore(res);
      res.locals.admitted = await admitSubmission(deps, clientIp(req), tokenOf(req));
      next();
    },
    express.raw({ type: 'application/octet-stream', limit: limits.collect.maxSubmissionBytes }),
    async (req, res) => {
      const ref = submitHeaders.safeParse(req.get('X-Kinko-Ref')).data ?? null;
      const body = Buffer.isBuffer(req.body) ? req.body : null;
      const done = await submit(deps, acting(req, res), res.locals.admitted as AdmittedLink, body, ref);
      res.status(201).json({ ok: true, receipt: done.submissionId, sha256: done.sha256 });
    },
  );

  return r;
}
