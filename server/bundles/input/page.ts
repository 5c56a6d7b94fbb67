import type { Request, Response } from 'express';
import { consoleLocals } from '../../accounts/view-helpers.js';
import type { Deps } from '../../deps.js';
import type { AppError } from '../../http/errors.js';
import { formatJst } from '../../lib/jst.js';
import { buildScope } from './build-scope.js';
import { bundlesOfDrop } from '../delivery/repo.js';
import { bundleListView } from '../delivery/view.js';
import { previewView, readyToBuild } from './preview.js';
import { yearEndPage } from './service.js';

/**
 * The office page of one 年末調整データ drop: the open form, the preview
 * (problems first), the build form once it is clean — saying how many
 * people's numbers the build reads and whether it is the director's — and
 * the bundles built from it. An error of any of its forms is shown on it.
 */
export async function renderYearEnd(deps: Deps, req: Request, res: Response, err: AppError | null, saved = false): Promise<void> {
  const t = res.locals.t;
  const lang = res.locals.lang === 'en' ? 'en' : 'ja';
  const dropId = String(req.params['id'] ?? '');
  const page = await yearEndPage(deps, dropId);
  const company = await deps.db.selectFrom('companies').select(['id', 'name']).where('id', '=', page.mark.companyId).executeTakeFirstOrThrow();
  const bundles = bundleListView(t, lang, await bundlesOfDrop(deps.db, dropId), deps.clock.now());
  const facts = page.open ? page.facts : undefined;
  const scope = facts && readyToBuild(facts) ? buildScope(facts) : null;
  const limit = deps.config.limits.bundles.directorAbovePersons;
  const settings = await deps.db.selectFrom('company_bundle_settings').select('corporate_number').where('company_id', '=', page.mark.companyId).executeTakeFirst();
  const clientKey = await deps.db.selectFrom('company_client_keys').select('fingerprint').where('company_id', '=', company.id).executeTakeFirst();
  res.status(err ? err.status : 200).set('Cache-Control', 'no-store').render('office/year-end', {
    ...consoleLocals(req, res),
    stepUpUrl: `/office/step-up?next=${encodeURIComponent(`/office/year-end/${dropId}#build`)}`,
    title: t('bundles.input.office.title', { company: company.name, nenbun: page.mark.nenbun }),
    mark: { ...page.mark, markedAtLabel: formatJst(new Date(page.mark.markedAt), lang) },
    drop: page.drop,
    company,
    p: facts && page.held ? previewView(t, lang, facts, page.held) : null,
    build: {
      scope,
      live: bundles.some((b) => b.live && b.numbered),
      directorNeeded: scope !== null && scope.persons > limit && res.locals.actor?.role !== 'director',
      limit,
      sealedTo: clientKey ? 'client-key' : 'passphrase',
      fingerprint: clientKey?.fingerprint ?? null,
      // Col 94 and the slips' 法人番号 box come from the company's settings: say so before a build leaves them blank.
      noCorporateNumber: !settings?.corporate_number,
    },
    bundles,
    error: err ? t(err.messageKey, err.params) : null,
    saved,
  });
}
