import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { actorOf } from '../http/locals.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { limits } from '../config.js';
import { signedInActing } from './acting.js';
import { imagePolicy, parseKeepDays, saveImagePolicy } from './image-policy.js';
import { destroyKeptNow, disposeDueImages, keptImagesHeader, viewKeptImages } from './kept-images.js';
import { passphraseForm } from './schema.js';

/**
 * The office's policy for identity images (director, fresh step-up) and the
 * images it keeps: a key holder opens them with the key passphrase — the
 * answer to that POST, no-store, in memory only, as the arrival page — and
 * the director may destroy them before their time.
 */
const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
const iid = (req: Request) => String((req.params as Record<string, unknown>).iid ?? '');
const daysForm = { body: z.object({ days: z.string().max(16).catch('') }) };
const SETTINGS = '/office/settings/identity-images';

export function keptImageRoutes(deps: Deps): Router {
  const r = Router();
  const when = (res: Response) => (iso: string) => formatJst(new Date(iso), res.locals.lang);

  async function renderPolicy(res: Response, extra: { error?: string; value?: string; saved?: string | null } = {}) {
    const p = await imagePolicy(deps.db);
    noStore(res).render('collect/image-policy', { policy: p, max: limits.collect.imageKeepMaxDays, error: extra.error ? res.locals.t(extra.error, { max: limits.collect.imageKeepMaxDays }) : null, value: extra.value ?? String(p.keepDays), saved: extra.saved ?? null, when: when(res) });
  }

  // The page itself asks for the fresh code first (a redirect to the step-up and back), so the save right after it is not refused.
  r.get(SETTINGS, policy({ audience: 'director', stepUp: true, note: 'the office policy: how long identity images are kept after a confirmation' }), async (req, res) => {
    const saved = typeof req.query.shortened === 'string' ? req.query.shortened.replace(/\D/g, '').slice(0, 6) : null;
    await renderPolicy(res, { saved });
  });

  r.post(SETTINGS, policy({ audience: 'director', stepUp: true, note: 'set how long identity images are kept after a confirmation (0 = not at all)' }), validate(daysForm), async (req, res) => {
    const raw = input(res, daysForm).body.days;
    let days: number;
    try {
      days = parseKeepDays(raw);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      res.status(400);
      return renderPolicy(res, { error: err.messageKey, value: raw });
    }
    const { shortened } = await saveImagePolicy(deps, signedInActing(deps, req, res), days);
    // What a shorter period ends now goes now, not at the next hourly run.
    if (shortened) await disposeDueImages(deps);
    res.redirect(303, `${SETTINGS}?shortened=${shortened}`);
  });

  r.get('/office/collect/images/:iid', policy({ audience: 'staff', note: 'kept identity images of a confirmed submission: the key passphrase form to open them' }), async (req, res) => {
    const actor = actorOf(res);
    const fresh = (res.locals.stepUpFresh as ((a: typeof actor) => boolean) | undefined)?.(actor) ?? false;
    noStore(res).render('collect/images-unlock', { head: await keptImagesHeader(deps, iid(req)), when: when(res), isDirector: actor.role === 'director', stepUpFresh: fresh, here: req.originalUrl });
  });

  r.post('/office/collect/images/:iid/open', policy({ audience: 'staff', note: 'open kept identity images with the key passphrase (no-store, audited)' }), async (req, res, next) => {
    res.locals.keptHead = await keptImagesHeader(deps, iid(req));
    next();
  }, validate(passphraseForm), async (req, res) => {
    noStore(res);
    const images = await viewKeptImages(deps, signedInActing(deps, req, res), actorOf(res), iid(req), input(res, passphraseForm).body.passphrase);
    res.render('collect/images', { head: res.locals.keptHead, images, when: when(res) });
  });

  r.post('/office/collect/images/:iid/destroy', policy({ audience: 'director', stepUp: true, note: 'destroy kept identity images before their time, with a disposal record' }), async (req, res) => {
    const { companyId } = await destroyKeptNow(deps, signedInActing(deps, req, res), iid(req));
    res.redirect(303, `/office/companies/${companyId}/collect?imagesDestroyed=1`);
  });

  return r;
}
