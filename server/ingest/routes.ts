import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { formatJst } from '../drops/receipts.js';
import { looksLikeDropId } from '../drops/service.js';
import { AppError, BadRequest, NotFound } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { KeyPassphraseMustChange, NotKeyHolder, WrongKeyPassphrase } from '../keys/errors.js';
import { formatJst as formatArrival } from '../notify/jst.js';
import { INBOX_DAYS, openInbox } from '../notify/service.js';
import { DropDecryptError } from './decrypt.js';
import { DisposalNotVerified, DropNotIngestable, DropUnreadable, IngestBusy, PreviewChanged, PreviewGone } from './errors.js';
import { isParseErrorCode, ParseError } from './parse/errors.js';
import { dropListView, dropPageView } from './present.js';
import { previewHref, previewPlace, previewView, type PreviewPlace } from './preview-view.js';
import { previewHolder } from './handover.js';
import { applyPageChoices, planOnce, selectionOf, type PageChoices } from './preview-cache.js';
import { planIngest } from './preview.js';
import * as repo from './repo.js';
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
    const actor = res.locals.actor as Actor;
    const arrivals = (await openInbox(deps, actor.userId)).map((e) => ({ ...e, lastAtJst: formatArrival(e.lastAt) }));
    res.locals.inboxBadge = 0;
    const drops = (await service.listOfficeDrops(deps)).map((d) => dropListView(t, res.locals.lang, d));
    noStore(res).render('office/drops', { title: t('ingestFlow.list.title'), drops, limit: service.OFFICE_LIST_LIMIT, arrivals, days: INBOX_DAYS });
  });

  r.get('/office/drops/:id', staff('one drop: details, ingest form or why not, disposal record'), async (req, res) => {
    await renderDrop(req, res, null);
  });

  r.post('/office/drops/:id/ingest', staff('key holder starts ingest with their key passphrase'), async (req, res) => {
    const actor = res.locals.actor as Actor;
    const id = param(req, 'id');
    if (!looksLikeDropId(id)) throw new NotFound();
    try {
      const readAgain = field(req, 'readAgain') === '1';
      const { jobId } = await service.startIngest(deps, actor, id, field(req, 'passphrase'), { requestId: res.locals.requestId as string, readAgain });
      return res.redirect(303, `/office/ingest/${jobId}`);
    } catch (err) {
      if (err instanceof WrongKeyPassphrase) deps.logger.warn({ userId: actor.userId, requestId: res.locals.requestId }, 'wrong key passphrase at ingest start');
      if (!SHOWN_ON_DROP_PAGE.some((k) => err instanceof k)) throw err;
      await renderDrop(req, res, err as AppError);
    }
  });

  r.post('/office/drops/:id/dispose', staff('retry destroying the original of a committed ingest'), async (req, res) => {
    const actor = res.locals.actor as Actor;
    const page = await service.dropPage(deps, actor, param(req, 'id'));
    if (page.job?.state === 'committed') {
      try {
        await service.destroyOriginal(deps, page.job.id, { userId: actor.userId, role: actor.role, requestId: res.locals.requestId as string });
      } catch (err) {
        if (!(err instanceof DisposalNotVerified)) throw err;
        return renderDrop(req, res, err);
      }
    }
    res.redirect(303, `/office/drops/${page.drop.id}`);
  });

  r.get('/office/ingest/:jobId', staff('preview of a parsed drop (numbers masked), for its claimant; paged'), holder, async (req, res) => {
    const actor = res.locals.actor as Actor;
    const jobId = jobParam(req);
    let live;
    try {
      live = await service.livePreview(deps, actor, jobId);
    } catch (err) {
      if (!(err instanceof PreviewGone)) throw err;
      return renderGone(res, await dropOfJob(jobId));
    }
    const { plan, selection } = await planOnce(live.entry, deps.clock.now().getTime(), (sel) => planIngest(deps.db, live.entry, sel));
    const t = res.locals.t;
    noStore(res).render('office/ingest-preview', {
      title: t('ingestFlow.preview.title'),
      p: previewView(t, res.locals.lang, live.job, live.entry, plan, selection, previewPlace(req.query as Record<string, unknown>)),
      changed: req.query.changed === '1',
      // Why the re-read with the chosen columns did not happen (a parse error code; anything else is ignored).
      rereadFailed: isParseErrorCode(req.query.reread) ? t(`ingest.errors.${req.query.reread}`) : null,
      saved: req.query.saved === '1',
    });
  });

  // One page's exclusions and repairs, kept with the preview in memory (no
  // JavaScript needed to page through a large file); then back to that page,
  // or on to the page a pager or filter button asked for (`go`).
  r.post('/office/ingest/:jobId/selection', staff('save the exclusions and repairs of one preview page, then show it or another page'), holder, async (req, res) => {
    const actor = res.locals.actor as Actor;
    const jobId = jobParam(req);
    const { place, go } = movePlace(req);
    let live;
    try {
      live = await service.livePreview(deps, actor, jobId);
    } catch (err) {
      if (!(err instanceof PreviewGone)) throw err;
      return renderGone(res, await dropOfJob(jobId));
    }
    if (live.entry.version !== Number(field(req, 'version'))) return res.redirect(303, previewHref(jobId, place, { changed: '1' }));
    applyPageChoices(live.entry, pageChoices(req));
    res.redirect(303, go ? previewHref(jobId, place, {}, `#${go}`) : previewHref(jobId, place, { saved: '1' }, '#persons'));
  });

  r.post('/office/ingest/:jobId/columns', staff('re-read the file with the My Number columns staff chose'), holder, async (req, res) => {
    const actor = res.locals.actor as Actor;
    const jobId = jobParam(req);
    const picks: Array<{ group: number; candidate: number }> = [];
    for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
      const m = /^col([0-9]{1,4})$/.exec(k);
      if (m && typeof v === 'string' && /^[0-9]{1,4}$/.test(v)) picks.push({ group: Number(m[1]), candidate: Number(v) });
    }
    try {
      await service.chooseColumns(deps, actor, jobId, picks, Number(field(req, 'version')));
    } catch (err) {
      if (err instanceof PreviewChanged) return res.redirect(303, `/office/ingest/${jobId}?changed=1`);
      if (err instanceof PreviewGone) return renderGone(res, await dropOfJob(jobId));
      // The earlier preview is still there: back to it, with why the re-read did not happen.
      if (err instanceof ParseError) return res.redirect(303, `/office/ingest/${jobId}?reread=${encodeURIComponent(err.code)}`);
      throw err;
    }
    res.redirect(303, `/office/ingest/${jobId}`);
  });

  r.post('/office/ingest/:jobId/confirm', staff('commit: numbers to the vault, names to the database, then destroy the original'), holder, async (req, res) => {
    const actor = res.locals.actor as Actor;
    const jobId = jobParam(req);
    const version = Number(field(req, 'version'));
    try {
      // The saved choices, with this page's boxes as they are now (what the
      // page says: the confirm button takes both, no need to save first).
      const { entry } = await service.livePreview(deps, actor, jobId);
      if (entry.version === version) applyPageChoices(entry, pageChoices(req));
      const sel = selectionOf(entry);
      const out = await service.confirmIngest(
        deps,
        actor,
        jobId,
        { exclude: new Set(sel.exclude), repair: new Set(sel.repair), version },
        { requestId: res.locals.requestId as string },
      );
      res.redirect(303, `/office/drops/${out.dropId}?committed=1`);
    } catch (err) {
      if (err instanceof PreviewChanged) return res.redirect(303, `/office/ingest/${jobId}?changed=1`);
      if (err instanceof PreviewGone) return renderGone(res, await dropOfJob(jobId));
      if (err instanceof BadRequest) return renderGone(res, await dropOfJob(jobId), err);
      throw err;
    }
  });

  r.post('/office/ingest/:jobId/cancel', staff('claimant abandons an ingest; the drop is left as it was'), holder, async (req, res) => {
    const dropId = await service.cancelIngest(deps, res.locals.actor as Actor, jobParam(req));
    res.redirect(303, dropId ? `/office/drops/${dropId}` : '/office/drops');
  });

  async function dropOfJob(jobId: string): Promise<string | null> {
    return (await repo.findJob(deps.db, jobId))?.dropId ?? null;
  }

  function renderGone(res: Response, dropId: string | null, err?: AppError): void {
    const t = res.locals.t;
    noStore(res.status(err ? err.status : 410)).render('office/ingest-gone', {
      title: t('ingestFlow.gone.title'),
      dropId,
      message: err ? t(err.messageKey, err.params) : t('ingestFlow.errors.previewGone'),
    });
  }

  async function renderDrop(req: Request, res: Response, err: AppError | null): Promise<void> {
    const actor = res.locals.actor as Actor;
    const t = res.locals.t;
    const d = dropPageView(t, res.locals.lang, await service.dropPage(deps, actor, param(req, 'id')));
    // The form to start an ingest is on this page: warm up a parse thread while they type their passphrase.
    if (d.canIngest) service.expectParse();
    const params = err instanceof IngestBusy ? { name: err.holderName, since: formatJst(err.since, res.locals.lang) } : (err?.params ?? {});
    noStore(err ? res.status(err.status) : res).render('office/drop', {
      title: t('ingestFlow.drop.title'),
      d,
      error: err ? t(err.messageKey, params) : null,
      committed: req.query.committed === '1',
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

function field(req: Request, name: string): string {
  const v = ((req.body ?? {}) as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
}

/** A repeated checkbox field as a list of short plain keys (p12, r3); anything else is ignored. */
function list(req: Request, name: string): string[] {
  const v = ((req.body ?? {}) as Record<string, unknown>)[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === 'string' && KEY.test(x));
}

const KEY = /^[pr][0-9]{1,7}$/;

/** The keys a page showed, sent as one comma-separated field (the form parser takes at most 100 fields). */
function shownKeys(req: Request, name: string): string[] {
  return field(req, name).split(',').slice(0, 1000).filter((x) => KEY.test(x));
}

/** Where the selection form goes next: the place in its action (a page-number box's number replaces the page), and which list to show. */
function movePlace(req: Request): { place: PreviewPlace; go: 'persons' | 'review' | null } {
  const q = req.query as Record<string, unknown>;
  const goto = field(req, 'goto');
  // An empty or odd page number (Enter in an empty box) stays on the page the form was on.
  const place = previewPlace(q.jump === '1' && /^[1-9][0-9]{0,6}$/.test(goto) ? { ...q, page: goto } : q);
  return { place, go: q.go === 'persons' || q.go === 'review' ? q.go : null };
}

function pageChoices(req: Request): PageChoices {
  return { shownExclude: shownKeys(req, 'shown'), shownRepair: shownKeys(req, 'shownRepair'), exclude: list(req, 'exclude'), repair: list(req, 'repair') };
}
