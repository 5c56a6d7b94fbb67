import { Router, type Request, type Response } from 'express';
import { looksLikeId } from '../../accounts/forms.js';
import { signedInActing } from '../../auth/request-acting.js';
import type { Deps } from '../../deps.js';
import { NotFound } from '../../http/errors.js';
import { policy } from '../../http/policies.js';
import { formatJst } from '../../lib/jst.js';
import { bundleById, downloadsOf } from './repo.js';
import { downloadLink, liveBundle, markSubmitted } from './service.js';
import { bundleView } from './view.js';

/**
 * A bundle in the office (issue 15 §5): its facts and manifest, every
 * download (who, from where, how), and the office's own download to file it
 * itself (電子申請) — on record like the client's. 提出済 from here too.
 */
const staff = (note: string) => policy({ audience: 'staff', note });
const lang = (res: Response) => (res.locals.lang === 'en' ? 'en' : 'ja');
const bid = (req: Request) => String(req.params['id'] ?? '');

interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
}

export function bundleOfficeRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office/bundles/:id', staff('one sealed bundle: facts, manifest, every download'), async (req, res) => {
    const b = looksLikeId(bid(req)) ? await bundleById(deps.db, bid(req)) : undefined;
    if (!b) throw new NotFound();
    const company = await deps.db.selectFrom('companies').select(['id', 'name']).where('id', '=', b.company_id).executeTakeFirstOrThrow();
    const manifest = JSON.parse(b.manifest) as { files?: ManifestFile[] };
    const downloads = (await downloadsOf(deps.db, b.id)).map((d) => ({ ...d, atLabel: formatJst(new Date(d.at), lang(res)), viaLabel: res.locals.t(`bundles.delivery.via.${d.via}`) }));
    const disposal = await deps.db.selectFrom('disposals').select(['verified_at', 'reason']).where('subject_kind', '=', 'bundle').where('subject_id', '=', b.id).executeTakeFirst();
    res.set('Cache-Control', 'no-store').render('office/bundle', {
      title: res.locals.t('bundles.delivery.office.title', { company: company.name }),
      company, b: bundleView(res.locals.t, lang(res), b, deps.clock.now()), dropId: b.drop_id, files: manifest.files ?? [], downloads,
      disposedLabel: disposal ? formatJst(new Date(disposal.verified_at), lang(res)) : null,
      submittedLabel: b.submitted_at ? formatJst(new Date(b.submitted_at), lang(res)) : null,
      done: req.query['done'] === 'submitted',
    });
  });

  r.post('/office/bundles/:id/download', staff('the office downloads a sealed bundle to file it itself (電子申請): on record first'), async (req, res) => {
    const b = await liveBundle(deps, bid(req));
    res.redirect(303, await downloadLink(deps, signedInActing(deps, req, res), b, 'office'));
  });

  r.post('/office/bundles/:id/submitted', staff('mark a bundle 提出済 (filed by the office): its numbered copy is destroyed at once'), async (req, res) => {
    const b = await liveBundle(deps, bid(req));
    await markSubmitted(deps, signedInActing(deps, req, res), b);
    res.redirect(303, `/office/bundles/${b.id}?done=submitted`);
  });
  return r;
}
