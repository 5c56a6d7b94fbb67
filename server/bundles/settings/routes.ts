import { Router, type Request, type Response } from 'express';
import { consoleLocals } from '../../accounts/view-helpers.js';
import { signedInActing } from '../../auth/request-acting.js';
import type { Deps } from '../../deps.js';
import { BadRequest } from '../../http/errors.js';
import { policy } from '../../http/policies.js';
import { input, validate } from '../../http/validate.js';
import { formatJst } from '../../lib/jst.js';
import { bundleListView } from '../delivery/view.js';
import { bundlesOfCompany } from '../delivery/repo.js';
import * as schema from './schema.js';
import { bundleSettings, companyName, registerClientKey, removeClientKey, saveSettings } from './service.js';

/**
 * /office/companies/:id/bundles — the company's 送付の設定 (法人番号, 連絡者,
 * the client's OpenPGP key) and every bundle built for it. Staff may look;
 * only the director changes the settings, each with a fresh step-up. Plain
 * forms, 303 after each POST; a refused value comes back on the page.
 */
const director = (note: string) => policy({ audience: 'director', stepUp: true, note });
const DONE = ['settings', 'keyRegistered', 'keyRemoved'] as const;

export function bundleSettingsRoutes(deps: Deps): Router {
  const r = Router();
  const cid = (req: Request) => String(req.params['id'] ?? '');
  const lang = (res: Response) => (res.locals.lang === 'en' ? 'en' : 'ja');

  async function render(req: Request, res: Response, extra: { error?: string; values?: Record<string, string> } = {}) {
    const name = await companyName(deps, cid(req));
    const s = await bundleSettings(deps, cid(req));
    const done = DONE.find((d) => d === req.query['done']);
    res.set('Cache-Control', 'no-store').render('office/company-bundles', {
      ...consoleLocals(req, res),
      title: res.locals.t('bundles.settings.title', { company: name }),
      company: { id: cid(req), name },
      s: { ...s, clientKey: s.clientKey ? { ...s.clientKey, registeredLabel: formatJst(new Date(s.clientKey.registeredAt), lang(res)) } : null },
      bundles: bundleListView(res.locals.t, lang(res), await bundlesOfCompany(deps.db, cid(req)), deps.clock.now()),
      values: extra.values ?? {},
      error: extra.error ? res.locals.t(extra.error) : null,
      done: done ? res.locals.t(`bundles.settings.done.${done}`) : null,
    });
  }

  const backWithError = (req: Request, res: Response) => async (err: unknown, values: Record<string, string>) => {
    if (!(err instanceof BadRequest)) throw err;
    res.status(400);
    await render(req, res, { error: err.messageKey, values });
  };

  r.get('/office/companies/:id/bundles', policy({ audience: 'staff', note: 'a company’s 送付の設定 (法人番号, 連絡者, client key) and its year-end bundles' }), async (req, res) => {
    await render(req, res);
  });

  const settingsForm = validate(schema.settings, { form: (req, res, f) => render(req, res, { error: Object.values(f.errors)[0] ?? 'errors.badRequest', values: f.values }) });
  r.post('/office/companies/:id/bundle-settings', director('set the payer’s 法人番号 and the 総括表’s 連絡者'), settingsForm, async (req, res) => {
    const body = input(res, schema.settings).body;
    try {
      await saveSettings(deps, signedInActing(deps, req, res), cid(req), body);
    } catch (err) {
      return backWithError(req, res)(err, body);
    }
    res.redirect(303, `/office/companies/${cid(req)}/bundles?done=settings`);
  });

  const keyForm = validate(schema.clientKey, { form: (req, res, f) => render(req, res, { error: Object.values(f.errors)[0] ?? 'errors.badRequest' }) });
  r.post('/office/companies/:id/client-key', director('register the client’s OpenPGP public key to seal its bundles to'), keyForm, async (req, res) => {
    try {
      await registerClientKey(deps, signedInActing(deps, req, res), cid(req), input(res, schema.clientKey).body.publicKey);
    } catch (err) {
      return backWithError(req, res)(err, {});
    }
    res.redirect(303, `/office/companies/${cid(req)}/bundles?done=keyRegistered`);
  });

  r.post('/office/companies/:id/client-key/remove', director('remove the client’s OpenPGP key: the next build uses a passphrase'), async (req, res) => {
    await companyName(deps, cid(req));
    await removeClientKey(deps, signedInActing(deps, req, res), cid(req));
    res.redirect(303, `/office/companies/${cid(req)}/bundles?done=keyRemoved`);
  });
  return r;
}
