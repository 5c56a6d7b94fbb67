import { Router, type Request, type RequestHandler, type Response } from 'express';
import { requireOwnRoom } from '../../auth/room-access.js';
import type { Deps } from '../../deps.js';
import { looksLikeDropId } from '../../drops/service.js';
import { AppError, BadRequest, NotFound } from '../../http/errors.js';
import { actorOf } from '../../http/locals.js';
import { policy } from '../../http/policies.js';
import { input, validate } from '../../http/validate.js';
import { DropDecryptError } from '../../ingest/decrypt.js';
import { KeyPassphraseMustChange, NotKeyHolder, WrongKeyPassphrase } from '../../keys/errors.js';
import { formatJst } from '../../lib/jst.js';
import { knownNenbun } from '../layout/layouts.js';
import { templateCsv } from '../read/template-file.js';
import { renderYearEnd } from './page.js';
import { listMarks } from './repo.js';
import * as schema from './schema.js';
import { markYearEnd, openYearEnd, resolveSubject, roomYearEnd } from './service.js';

/**
 * 年末調整データ (issue 15 §1): the room marks a drop as the year's pay data;
 * the office opens it with a key passphrase, sees the preview (problems
 * first) and resolves the persons kinko could not match. Plain forms, 303
 * after each POST; nothing needs JavaScript.
 */
const staff = (note: string) => policy({ audience: 'staff', note });
const client = (note: string) => policy({ audience: 'client', tenant: true, note });
/** Failures of the open step shown on the page, with what to do; the drop is untouched by each. */
const SHOWN_ON_PAGE = [WrongKeyPassphrase, KeyPassphraseMustChange, NotKeyHolder, DropDecryptError, BadRequest];
const id = (req: Request) => String(req.params['id'] ?? '');
const lang = (res: Response) => (res.locals.lang === 'en' ? 'en' : 'ja');

export function yearEndInputRoutes(deps: Deps): Router {
  const r = Router();
  // Before any body is read: a wrong room or an id that cannot be a drop is the same 404 as a random one (P7), never a 400 about the form.
  const ownRoom: RequestHandler = async (req, res, next) => {
    res.locals['yearEndRoom'] = await requireOwnRoom(deps, req.params['key'], res);
    if (!looksLikeDropId(id(req))) throw new NotFound();
    next();
  };
  const dropId: RequestHandler = (req, _res, next) => {
    if (!looksLikeDropId(id(req))) throw new NotFound();
    next();
  };

  r.get('/room/:key/drops/:id/year-end', client('form: mark one of the room’s drops as 年末調整データ'), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params['key'], res);
    const base = `/room/${String(req.params['key'])}`;
    const { drop, mark } = await roomYearEnd(deps, room.id, id(req));
    res.render('room/year-end-mark', { title: res.locals.t('bundles.input.room.title'), room, base, drop, mark, choices: knownNenbun(), saved: req.query['saved'] === '1' });
  });

  r.post('/room/:key/drops/:id/year-end', client('mark one of the room’s drops as 年末調整データ for a 年分'), ownRoom, validate(schema.mark), async (req, res) => {
    const { room, actor } = res.locals['yearEndRoom'] as Awaited<ReturnType<typeof requireOwnRoom>>;
    await markYearEnd(deps, actor, room.id, id(req), input(res, schema.mark).body.nenbun, { requestId: res.locals.requestId });
    res.redirect(303, `/room/${String(req.params['key'])}/drops/${id(req)}/year-end?saved=1`);
  });

  r.get('/room/:key/year-end-template.csv', client('kinko’s year-end pay data template (header row only, no number column)'), async (req, res) => {
    await requireOwnRoom(deps, req.params['key'], res);
    res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="nenmatsu_template.csv"', 'Cache-Control': 'no-store' }).send(templateCsv());
  });

  r.get('/office/year-end', staff('drops the clients marked as 年末調整データ, newest first'), async (_req, res) => {
    const marks = (await listMarks(deps.db, 500)).map((m) => ({ ...m, markedAtLabel: formatJst(new Date(m.markedAt), lang(res)) }));
    res.set('Cache-Control', 'no-store').render('office/year-end-list', { title: res.locals.t('bundles.input.list.title'), marks });
  });

  r.get('/office/year-end/:id', staff('a 年末調整データ drop: open it, or its preview (problems first) and the persons to resolve'), dropId, validate(schema.page), async (req, res) => {
    const q = input(res, schema.page).query;
    await renderYearEnd(deps, req, res, q.error ? new BadRequest(`bundles.input.errors.${q.error}`) : null, q.saved);
  });

  r.post('/office/year-end/:id/open', staff('key holder opens a 年末調整データ drop with their key passphrase (in memory)'), dropId, validate(schema.open), async (req, res) => {
    try {
      await openYearEnd(deps, actorOf(res), id(req), input(res, schema.open).body.passphrase, { requestId: res.locals.requestId });
    } catch (err) {
      if (!SHOWN_ON_PAGE.some((k) => err instanceof k)) throw err;
      return renderYearEnd(deps, req, res, err as AppError);
    }
    res.redirect(303, `/office/year-end/${id(req)}`);
  });

  r.post('/office/year-end/:id/resolve', staff('link a row’s person to a held person, or mark 番号未提供 with a note'), dropId, validate(schema.resolve), async (req, res) => {
    try {
      await resolveSubject(deps, actorOf(res), id(req), input(res, schema.resolve).body, { requestId: res.locals.requestId });
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      return res.redirect(303, `/office/year-end/${id(req)}?error=${encodeURIComponent(err.messageKey.replace(/^bundles\.input\.errors\./, ''))}#problems`);
    }
    res.redirect(303, `/office/year-end/${id(req)}?saved=1#problems`);
  });

  return r;
}
