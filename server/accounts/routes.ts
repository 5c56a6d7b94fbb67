import { Router } from 'express';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { keyHolderStatus } from '../keys/office-key.js';
import { companyRoutes } from './company-routes.js';
import { findPerson } from './repo.js';
import { staffRoutes } from './staff-routes.js';
import { actorOf, consoleLocals } from './view-helpers.js';

/** /office (console), /office/companies…, /office/staff… */
export function accountsRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office', policy({ audience: 'staff', note: 'office console: what this person may do' }), async (req, res) => {
    const actor = actorOf(res);
    const [me, key] = await Promise.all([findPerson(deps.db, actor.userId), keyHolderStatus(deps.db, actor.userId)]);
    res.render('office/console', {
      ...consoleLocals(req, res),
      title: res.locals.t('accounts.console.title'),
      displayName: me?.displayName ?? '',
      keyMustChange: key.holder && key.mustChange,
    });
  });

  companyRoutes(r, deps);
  staffRoutes(r, deps);
  return r;
}
