import { Router, type Response } from 'express';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { actorOf } from '../http/locals.js';
import { policy } from '../http/policies.js';
import { input, validate, type InvalidForm } from '../http/validate.js';
import { scopeBreach, type BreachScope } from './breach-service.js';
import { exposureSummary } from './present.js';
import { scopeSchema } from './schema.js';
import * as repo from './scope-repo.js';

/**
 * Breach scoping (issue 16 §3): the director describes what may be exposed
 * and gets the people, their states, the verdicts, the 速報 draft and one
 * notice pack per client. Director only, behind a fresh step-up: the page
 * lists who the office holds for whom, the map an attacker would want.
 */
export function oversightRoutes(deps: Deps): Router {
  const r = Router();
  const director = (note: string) => policy({ audience: 'director', stepUp: true, note });

  r.get('/office/oversight/breach', director('breach scoping form'), async (_req, res) => {
    await renderForm(deps, res, { errors: {}, values: {} });
  });

  r.post(
    '/office/oversight/breach',
    director('breach scoping: people, states, verdicts, 速報 draft (recorded)'),
    validate(scopeSchema, { form: (_req, res, invalid) => renderForm(deps, res, invalid) }),
    async (_req, res) => {
      const { body } = input(res, scopeSchema);
      const { values } = body;
      let scope: BreachScope;
      try {
        scope = await scopeBreach(deps, actorOf(res), res.locals.requestId, { ...body, discoveredAt: body.discoveredAt ?? deps.clock.now() });
      } catch (err) {
        if (!(err instanceof BadRequest)) throw err;
        res.status(400);
        return renderForm(deps, res, { errors: { form: err.messageKey }, values });
      }
      await renderForm(deps, res, { errors: {}, values }, scope);
    },
  );

  return r;
}

async function renderForm(deps: Deps, res: Response, form: InvalidForm, scope?: BreachScope): Promise<void> {
  const names = await repo.companyNames(deps.db);
  res.render('office/oversight-breach', {
    title: res.locals.t('oversight.breach.title'),
    form,
    accounts: await repo.accountChoices(deps.db),
    companies: [...names.entries()].map(([id, name]) => ({ id, name })),
    companyName: (id: string | null) => (id ? (names.get(id) ?? '') : ''),
    scope,
    summary: scope ? exposureSummary(scope, res.locals.t as never, res.locals.lang) : '',
  });
}
