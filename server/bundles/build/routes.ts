import { Router, type Request, type Response } from 'express';
import type { Deps } from '../../deps.js';
import { AppError, NotFound } from '../../http/errors.js';
import { actorOf } from '../../http/locals.js';
import { policy } from '../../http/policies.js';
import { input, validate } from '../../http/validate.js';
import { looksLikeDropId } from '../../drops/service.js';
import { renderYearEnd } from '../input/page.js';
import { open as passphraseForm } from '../input/schema.js';
import { formatSize } from '../../drops/receipts.js';
import { destinationLabel } from '../delivery/view.js';
import { buildBundles } from './build.js';

/**
 * 送付ファイルを作成 (issue 15 §3–4, §7): a key holder with a fresh step-up
 * and their key passphrase builds the drop's bundles. The answer is a page,
 * not a redirect: when the client has no key it shows the generated
 * passphrase once (no-store; it is stored nowhere). Any refusal — wrong
 * passphrase, not a key holder, problems left, the director's threshold,
 * built already — comes back on the drop's page with what to do.
 */
export function bundleBuildRoutes(deps: Deps): Router {
  const r = Router();
  const id = (req: Request) => String(req.params['id'] ?? '');
  r.post(
    '/office/year-end/:id/build',
    policy({ audience: 'staff', stepUp: true, note: 'key holder builds the sealed bundles per destination from a clean preview (numbers read in bulk, in memory)' }),
    (req, _res, next) => (looksLikeDropId(id(req)) ? next() : next(new NotFound())),
    validate(passphraseForm),
    async (req: Request, res: Response) => {
      let out;
      try {
        out = await buildBundles(deps, actorOf(res), id(req), input(res, passphraseForm).body.passphrase, { requestId: res.locals.requestId });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
        return renderYearEnd(deps, req, res, err);
      }
      const lng = res.locals.lang === 'en' ? 'en' : 'ja';
      res.set('Cache-Control', 'no-store').render('office/bundles-built', {
        title: res.locals.t('bundles.build.done.title'),
        dropId: id(req),
        passphrase: out.passphrase ?? null,
        bundles: out.bundles.map((b) => ({ ...b, label: destinationLabel(res.locals.t, { destination: b.destination, municipality_code: b.municipalityCode }, lng), sizeLabel: formatSize(b.size, lng) })),
      });
    },
  );
  return r;
}
