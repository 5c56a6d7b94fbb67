import type { Request, Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { AppError } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { WrongKeyPassphrase } from '../keys/errors.js';
import { input, validate } from '../http/validate.js';
import * as schema from './schema.js';
import * as staff from './staff-service.js';
import { acting, consoleLocals, doneNotice, idParam, jst, renderSheet } from './view-helpers.js';

/** /office/staff… — the director's alone; every change needs a fresh step-up. */
export function staffRoutes(r: Router, deps: Deps): void {
  const changing = (note: string) => policy({ audience: 'director', stepUp: true, note });
  const back = (res: Response, done: string) => res.redirect(303, `/office/staff?done=${done}`);

  r.get('/office/staff', policy({ audience: 'director', note: 'office people' }), async (req, res) => {
    const people = await staff.listOfficePeople(deps);
    res.render('office/staff', {
      ...consoleLocals(req, res),
      title: res.locals.t('accounts.staff.title'),
      people: people.map((p) => ({ ...p, lockedUntilText: jst(res, p.lockedUntil), initialExpires: jst(res, p.initialExpiresAt) })),
      done: doneNotice(req),
      now: deps.clock.now().toISOString(),
    });
  });

  r.get('/office/staff/new', policy({ audience: 'director', note: 'form: new staff member' }), (req, res) => {
    res.render('office/staff-new', { ...consoleLocals(req, res), title: res.locals.t('accounts.staffNew.title'), values: {}, errors: {} });
  });

  const staffForm = (req: Request, res: Response, values: Record<string, string>, errors: Record<string, string>) =>
    res.render('office/staff-new', { ...consoleLocals(req, res), title: res.locals.t('accounts.staffNew.title'), values, errors });

  r.post('/office/staff', changing('create a staff login with an initial password'), validate(schema.createStaff, { form: (req, res, f) => staffForm(req, res, f.values, f.errors) }), async (req, res) => {
    const form = input(res, schema.createStaff).body;
    try {
      renderSheet(res, await staff.createStaff(deps, acting(res), form));
    } catch (err) {
      if (!(err instanceof staff.LoginIdTaken)) throw err;
      staffForm(req, res.status(409), { ...form }, { loginId: err.messageKey });
    }
  });

  r.post('/office/staff/:id/reissue', changing('new initial password, TOTP reset'), async (req, res) => {
    renderSheet(res, await staff.reissueStaff(deps, acting(res), idParam(req)));
  });

  r.post('/office/staff/:id/revoke', changing('revoke a staff login; sessions and key copy end'), async (req, res) => {
    await staff.revokeStaff(deps, acting(res), idParam(req));
    back(res, 'revoked');
  });

  r.post('/office/staff/:id/enable', changing('let a revoked staff member back in'), async (req, res) => {
    await staff.enableStaff(deps, acting(res), idParam(req));
    back(res, 'enabled');
  });

  r.post('/office/staff/:id/unlock', changing('end a (hard) login lock'), async (req, res) => {
    await staff.unlockStaff(deps, acting(res), idParam(req));
    back(res, 'unlocked');
  });

  r.get('/office/staff/:id/key-holder', policy({ audience: 'director', note: 'form: designate a key holder' }), async (req, res) => {
    renderHolderForm(req, res, await staff.findStaff(deps, idParam(req)), null);
  });

  r.post('/office/staff/:id/key-holder', changing('designate a key holder (one-time key passphrase)'), validate(schema.addKeyHolder), async (req, res) => {
    const person = await staff.findStaff(deps, idParam(req));
    try {
      const { oneTimePassphrase } = await staff.addKeyHolder(deps, acting(res), person.id, input(res, schema.addKeyHolder).body.passphrase);
      res.set('Cache-Control', 'no-store');
      res.render('office/key-holder-issued', { ...consoleLocals(req, res), title: res.locals.t('accounts.keyHolder.issuedTitle'), person, oneTimePassphrase });
    } catch (err) {
      // Wrong passphrase (or too many: locked), not a holder, already a holder: say so next to the form.
      if (!(err instanceof AppError) || !(err.messageKey.startsWith('keys.') || err instanceof WrongKeyPassphrase)) throw err;
      res.status(err.status);
      renderHolderForm(req, res, person, err.messageKey);
    }
  });

  r.post('/office/staff/:id/key-holder/remove', changing('delete a key holder copy'), async (req, res) => {
    await staff.removeKeyHolder(deps, acting(res), idParam(req));
    back(res, 'holderRemoved');
  });
}

function renderHolderForm(req: Request, res: Response, person: Awaited<ReturnType<typeof staff.findStaff>>, error: string | null): void {
  res.render('office/key-holder-new', { ...consoleLocals(req, res), title: res.locals.t('accounts.keyHolder.title'), person, error });
}
