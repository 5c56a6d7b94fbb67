import type { Router } from 'express';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import * as schema from './schema.js';
import * as companies from './service.js';
import { acting, consoleLocals, doneNotice, idParam, jst, renderSheet } from './view-helpers.js';

/**
 * /office/companies… — staff may look; only the director issues, reissues,
 * rotates, revokes and re-enables, each with a fresh step-up (security.md).
 */
export function companyRoutes(r: Router, deps: Deps): void {
  const issuing = (note: string) => policy({ audience: 'director', stepUp: true, note });

  r.get('/office/companies', policy({ audience: 'staff', note: 'list of client companies' }), async (req, res) => {
    res.render('office/companies', { ...consoleLocals(req, res), title: res.locals.t('accounts.companies.title'), companies: await companies.listCompanies(deps) });
  });

  r.get('/office/companies/new', policy({ audience: 'director', note: 'form: new client company' }), (req, res) => {
    res.render('office/company-new', { ...consoleLocals(req, res), title: res.locals.t('accounts.companyNew.title'), values: {}, errors: {} });
  });

  // The form again with its mistakes; the name field's messages are under companyName.
  const readCompany = validate(schema.createCompany, {
    form: (req, res, { values, errors: { name, ...errors } }) =>
      res.render('office/company-new', { ...consoleLocals(req, res), title: res.locals.t('accounts.companyNew.title'), values, errors: { ...errors, ...(name ? { companyName: name } : {}) } }),
  });

  r.post('/office/companies', issuing('create a company and issue its room credentials'), readCompany, async (_req, res) => {
    renderSheet(res, await companies.issueCompany(deps, acting(res), input(res, schema.createCompany).body));
  });

  r.get('/office/companies/:id', policy({ audience: 'staff', note: 'one client company' }), async (req, res) => {
    const { company, clients } = await companies.companyDetail(deps, idParam(req));
    res.render('office/company', {
      ...consoleLocals(req, res),
      title: company.name,
      company,
      clients: clients.map((c) => ({ ...c, initialExpires: jst(res, c.initialExpiresAt), lockedUntilText: jst(res, c.lockedUntil) })),
      created: jst(res, company.createdAt),
      done: doneNotice(req),
      now: deps.clock.now().toISOString(),
    });
  });

  r.post('/office/companies/:id/reissue', issuing('new initial password, TOTP reset'), async (req, res) => {
    renderSheet(res, await companies.reissueClient(deps, acting(res), idParam(req)));
  });

  r.post('/office/companies/:id/rotate', issuing('new room URL; the old one answers 404'), async (req, res) => {
    renderSheet(res, await companies.rotateAccessKey(deps, acting(res), idParam(req)));
  });

  r.post('/office/companies/:id/revoke', issuing('close the room, end its sessions'), async (req, res) => {
    await companies.revokeCompany(deps, acting(res), idParam(req));
    res.redirect(303, `/office/companies/${idParam(req)}?done=revoked`);
  });

  r.post('/office/companies/:id/enable', issuing('re-open a revoked room'), async (req, res) => {
    await companies.enableCompany(deps, acting(res), idParam(req));
    res.redirect(303, `/office/companies/${idParam(req)}?done=enabled`);
  });

  r.post('/office/companies/:id/unlock', issuing('end a login lock of the client'), async (req, res) => {
    await companies.unlockClient(deps, acting(res), idParam(req));
    res.redirect(303, `/office/companies/${idParam(req)}?done=unlocked`);
  });
}
