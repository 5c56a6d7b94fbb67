import { Router, type Request, type Response } from 'express';
import { consoleLocals } from '../accounts/view-helpers.js';
import { signedInActing } from '../auth/request-acting.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { approvalsSchema, textsSchema } from './safeguards-schema.js';
import { safeguardsPage, saveSafeguards, setApprovals } from './safeguards-service.js';

/**
 * /office/oversight/safeguards — the office's 安全管理措置 and each client's
 * 再委託 許諾 dates, as every custody report shows them. Director only;
 * each change asks for a fresh step-up (like the other director settings).
 * Plain forms, 303 after each POST; a refused value comes back on the page.
 */
const PAGE = '/office/oversight/safeguards';
const DONE = ['texts', 'approvals'] as const;

export function safeguardsRoutes(deps: Deps): Router {
  const r = Router();

  async function render(req: Request, res: Response, extra: { error?: string; values?: Record<string, string>; companyId?: string } = {}) {
    const page = await safeguardsPage(deps);
    const done = DONE.find((d) => d === req.query['done']);
    const lang = res.locals.lang === 'en' ? 'en' : 'ja';
    res.set('Cache-Control', 'no-store').render('office/oversight-safeguards', {
      ...consoleLocals(req, res),
      title: res.locals.t('oversight.safeguards.title'),
      page,
      updatedLabel: page.texts ? formatJst(page.texts.updatedAt, lang) : null,
      values: extra.values ?? {},
      errorCompany: extra.companyId ?? null,
      error: extra.error ? res.locals.t(extra.error) : null,
      done: done ? res.locals.t(`oversight.safeguards.done.${done}`) : null,
    });
  }
  const refused = (req: Request, res: Response, values: Record<string, string>, companyId?: string) => async (err: unknown) => {
    if (!(err instanceof BadRequest)) throw err;
    res.status(400);
    await render(req, res, { error: err.messageKey, values, companyId });
  };

  r.get(PAGE, policy({ audience: 'director', note: 'the office’s safeguards and each client’s 再委託 許諾 dates' }), async (req, res) => {
    await render(req, res);
  });

  const textsForm = validate(textsSchema, { form: (req, res, f) => render(req, res, { error: Object.values(f.errors)[0] ?? 'errors.badRequest', values: f.values }) });
  r.post(PAGE, policy({ audience: 'director', stepUp: true, note: 'save 基本方針, 取扱規程 summary and where data is hosted (recorded)' }), textsForm, async (req, res) => {
    const body = input(res, textsSchema).body;
    await saveSafeguards(deps, signedInActing(deps, req, res), body);
    res.redirect(303, `${PAGE}?done=texts`);
  });

  const approvalsForm = validate(approvalsSchema, { form: (req, res, f) => render(req, res, { error: Object.values(f.errors)[0] ?? 'errors.badRequest', companyId: f.values.companyId }) });
  r.post(`${PAGE}/approvals`, policy({ audience: 'director', stepUp: true, note: 'record the days a client approved each 再委託先 (recorded)' }), approvalsForm, async (req, res) => {
    const { companyId, ...dates } = input(res, approvalsSchema).body;
    try {
      await setApprovals(deps, signedInActing(deps, req, res), companyId, dates);
    } catch (err) {
      return refused(req, res, {}, companyId)(err);
    }
    res.redirect(303, `${PAGE}?done=approvals#c-${companyId}`);
  });

  return r;
}
