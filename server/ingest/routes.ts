import { actorOf } from '../http/locals.js';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { DisposalNotVerified } from '../disposal/errors.js';
import { looksLikeDropId } from '../drops/service.js';
import { AppError, BadRequest, NotFound } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { KeyPassphraseMustChange, NotKeyHolder, WrongKeyPassphrase } from '../keys/errors.js';
import { formatJst, jstStamp as formatArrival } from '../lib/jst.js';
import { INBOX_DAYS, openInbox } from '../notify/service.js';
import { DropDecryptError } from './decrypt.js';
import { DropNotIngestable, DropUnreadable, IngestBusy, PreviewChanged, PreviewGone } from './errors.js';
import { ParseError } from './parse/errors.js';
import { dropListView, dropPageView } from './present.js';
import { previewHref, previewView } from './preview-view.js';
import * as schema from './schema.js';
import { previewHolder } from './handover.js';
import * as service from './service.js';

/**
 * The office's drop pages and the ingest flow (issue 5). Staff and directors
 * see every company's drops; only key holders can start an ingest (the page
 * says why others cannot). Every page works without JavaScript: plain forms,
 * 303 redirects after each POST.
 */
const staff = (note: string) => policy({ audience: 'staff', note });

/** Failures shown on the drop page next to the form, with what to do; the drop is untouched by each. */
const SHOWN_ON_DROP_PAGE = [WrongKeyPassphrase, KeyPassphraseMustChange, NotKeyHolder, IngestBusy, DropNotIngestable, DropUnreadable, ParseError, DropDecryptError, PreviewGone, DisposalNotVerified];

export function ingestRoutes(deps: Deps): Router {
  const r = Router();
  // A preview held by another instance: the request goes there (handover.ts).
  const holder = previewHolder(deps);

  // The one place staff see new drops and start an ingest (issue 11): the
  // rooms with new arrivals (opening the page is seeing them), then every drop.
  r.get('/office/drops', staff('new arrivals per room and all companies’ drops with their state'), async (_req, res) => {
    const t = res.locals.t;
    const actor = actorOf(res);
    const arrivals = (await openInbox(deps, actor.userId)).map((e) => ({ ...e, lastAtJst: formatArrival(e.lastAt) }));
    res.locals.inboxBadge = 0;
    const drops = (await service.listOfficeDrops(deps)).map((d) => dropListView(t, res.locals.lang, d));
    noStore(res).render('office/drops', { title: t('ingestFlow.list.title'), drops, limit: service.OFFICE_LIST_LIMIT, arrivals, days: INBOX_DAYS });
  });

  r.get('/office/drops/:id', staff('one drop: details, ingest form or why not, disposal record'), validate(schema.dropPage), async (req, res) => {
    await renderDrop(req, res, null, input(res, schema.dropPage).query.committed);
  });

  r.post('/office/drops/:id/ingest', staff('key holder starts ingest with their key passphrase'), validate(schema.startIngest), async (req, res) => {
    const actor = actorOf(res);
    const id = param(req, 'id');
    if (!looksLikeDropId(id)) throw new NotFound();
    const { passphrase, readAgain } = input(res, schema.startIngest).body;
    try {
      const { jobId } = await service.startIngest(deps, actor, id, passphrase, { requestId: res.locals.requestId, readAgain });
      return res.redirect(303, `/office/ingest/${jobId}`);
    } catch (err) {
      if (err instanceof WrongKeyPassphrase) deps.logger.warn({ userId: actor.userId, requestId: res.locals.requestId }, 'wrong key passphrase at ingest start');
      if (!SHOWN_ON_DROP_PAGE.some((k) => err instanceof k)) throw err;
      await renderDrop(req, res, err as AppError);
    }
  });

  r.post('/office/drops/:id/dispose', staff('retry destroying the original of a committed ingest'), async (req, res) => {
    const actor = actorOf(res);
    const page = await service.dropPage(deps, actor, param(req, 'id'));
    if (page.job?.state === 'committed') {
      try {
        await service.destroyOriginal(deps, page.job.id, { userId: actor.userId, role: actor.role, requestId: res.locals.requestId });
      } catch (err) {
        if (!(err instanceof DisposalNotVerified)) throw err;
        return renderDrop(req, res, err);
      }
    }
    res.redirect(303, `/office/drops/${page.drop.id}`);
  });

  r.get('/office/ingest/:jobId', staff('preview of a parsed drop (numbers masked), for its claimant; paged'), holder, validate(schema.preview), async (req, res) => {
    const jobId = jobParam(req);
    const q = input(res, schema.preview).query;
    const live = await service.previewPlan(deps, actorOf(res), jobId);
    const t = res.locals.t;
    noStore(res).render('office/ingest-preview', {
      title: t('ingestFlow.preview.title'),
      p: previewView(t, res.locals.lang, live.job, live.entry, live.plan, live.selection, { page: q.page, status: q.status, rpage: q.rpage }, live.departures),
      changed: q.changed,
      rereadFailed: q.reread ? t(`ingest.errors.${q.reread}`) : null,
      saved: q.saved,
    });
  });

  // One page's exclusions and repairs, kept with the preview; then back to
  // that page, or on to the page a pager or filter button asked for (`go`).
  r.post('/office/ingest/:jobId/selection', staff('save the exclusions and repairs of one preview page, then show it or another page'), holder, validate(schema.selection), async (req, res) => {
    const jobId = jobParam(req);
    const { query: q, body } = input(res, schema.selection);
    const place = schema.nextPlace(q, body.goto);
    if ((await service.savePageChoices(deps, actorOf(res), jobId, body)) === 'changed') return res.redirect(303, previewHref(jobId, place, { changed: '1' }));
    res.redirect(303, q.go ? previewHref(jobId, place, {}, `#${q.go}`) : previewHref(jobId, place, { saved: '1' }, '#persons'));
  });

  r.post('/office/ingest/:jobId/columns', staff('re-read the file with the My Number columns staff chose'), holder, validate(schema.columns), async (req, res) => {
    const jobId = jobParam(req);
    const { picks, version } = input(res, schema.columns).body;
    try {
      await service.chooseColumns(deps, actorOf(res), jobId, picks, version);
    } catch (err) {
      // The earlier preview is still there: back to it, with why the re-read did not happen.
      if (err instanceof ParseError) return res.redirect(303, `/office/ingest/${jobId}?reread=${encodeURIComponent(err.code)}`);
      throw err;
    }
    res.redirect(303, `/office/ingest/${jobId}`);
  });

  r.post('/office/ingest/:jobId/confirm', staff('commit: numbers to the vault, names to the database, then destroy the original'), holder, validate(schema.confirm), async (req, res) => {
    const jobId = jobParam(req);
    const form = input(res, schema.confirm).body;
    try {
      const out = await service.confirmFromPage(deps, actorOf(res), jobId, form, { requestId: res.locals.requestId });
      res.redirect(303, `/office/drops/${out.dropId}?committed=1`);
    } catch (err) {
      if (err instanceof BadRequest) return renderGone(res, await service.dropOfJob(deps, jobId), err);
      throw err;
    }
  });

  r.post('/office/ingest/:jobId/cancel', staff('claimant abandons an ingest; the drop is left as it was'), holder, async (req, res) => {
    const dropId = await service.cancelIngest(deps, actorOf(res), jobParam(req));
    res.redirect(303, dropId ? `/office/drops/${dropId}` : '/office/drops');
  });

  // What every preview step answers when the preview has changed under it or is gone.
  r.use('/office/ingest/:jobId', async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (err instanceof PreviewChanged) return res.redirect(303, `/office/ingest/${jobParam(req)}?changed=1`);
    if (err instanceof PreviewGone) return renderGone(res, await service.dropOfJob(deps, jobParam(req)));
    next(err);
  });

  function renderGone(res: Response, dropId: string | null, err?: AppError): void {
    const t = res.locals.t;
    noStore(res.status(err ? err.status : 410)).render('office/ingest-gone', {
      title: t('ingestFlow.gone.title'),
      dropId,
      message: err ? t(err.messageKey, err.params) : t('ingestFlow.errors.previewGone'),
    });
  }

  async function renderDrop(req: Request, res: Response, err: AppError | null, committed = false): Promise<void> {
    const actor = actorOf(res);
    const t = res.locals.t;
    const d = dropPageView(t, res.locals.lang, await service.dropPage(deps, actor, param(req, 'id')));
    // The form to start an ingest is on this page: warm up a parse thread while they type their passphrase.
    if (d.canIngest) service.expectParse();
    const params = err instanceof IngestBusy ? { name: err.holderName, since: formatJst(err.since, res.locals.lang) } : (err?.params ?? {});
    noStore(err ? res.status(err.status) : res).render('office/drop', {
      title: t('ingestFlow.drop.title'),
      d,
      error: err ? t(err.messageKey, params) : null,
      committed,
      // The instance holding this viewer's preview stopped (handover.ts): say so, and offer the form again.
      handover: !err && req.query.handover === '1' && d.canIngest,
    });
  }

  return r;
}

function noStore(res: Response): Response {
  return res.set('Cache-Control', 'no-store');
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

function jobParam(req: Request): string {
  const id = param(req, 'jobId');
  if (!service.looksLikeJobId(id)) throw new NotFound();
  return id;
}
