import { Router, type Request, type Response } from 'express';
import type { TFunction } from 'i18next';
import { requireOwnRoom } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { apiRoutes } from './api-routes.js';
import { dropJson, dropView, roomLinks, signingInfo } from './present.js';
import { findDrop, listDrops, receiveDrops, signedReceipt, type DropRecord } from './service.js';
import { uploadLimitsView } from '../http/upload-limits-view.js';
import { limitDrainAfterResponse, receiveOrEnd } from './upload-response.js';

/**
 * /room/:key/drops… — the client's uploads and receipts (HTML, or JSON for the
 * room page's script), plus the HTTP API for scripts (api-routes.ts).
 * The room key must be the signed-in client's own room; anything else is the
 * same 404 as an unknown address (P7).
 */
export function dropsRoutes(deps: Deps): Router {
  const r = Router();
  const tenant = { audience: 'client', tenant: true } as const;

  r.post('/room/:key/drops', policy({ ...tenant, note: 'upload files (multipart, streamed)' }), async (req, res) => {
    limitDrainAfterResponse(req, res);
    const { actor, room } = await requireOwnRoom(deps, req.params.key, res);
    const drops = await receiveOrEnd(res, () =>
      receiveDrops(deps, { ...actor, companyId: room.id }, { headers: req.headers, body: req }, { requestId: res.locals.requestId }),
    );
    if (!drops) return;
    const base = `/room/${req.params.key}`;
    if (wantsJson(req)) return res.status(201).json(receiptsJson(deps, res, drops, base));
    res.status(201).render('room/receipt', { ...pageLocals(deps, res, room, base), receipts: drops.map((d) => view(deps, res, d, base)) });
  });

  r.get('/room/:key/drops', policy({ ...tenant, note: 'history of drops with state' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    const base = `/room/${req.params.key}`;
    const drops = await listDrops(deps, room.id);
    if (wantsJson(req)) return res.json(receiptsJson(deps, res, drops, base));
    res.render('room/drops', { ...pageLocals(deps, res, room, base), drops: drops.map((d) => view(deps, res, d, base)) });
  });

  r.get('/room/:key/drops/:id', policy({ ...tenant, note: 'receipt page of one drop' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    const drop = await findDrop(deps, room.id, String(req.params.id));
    const base = `/room/${req.params.key}`;
    res.render('room/receipt', { ...pageLocals(deps, res, room, base), receipts: [view(deps, res, drop, base)] });
  });

  r.get('/room/:key/drops/:id/receipt.json', policy({ ...tenant, note: 'signed receipt (Ed25519) of one drop' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    const drop = await findDrop(deps, room.id, String(req.params.id));
    res.json(signedReceipt(deps, drop));
  });

  r.use(apiRoutes(deps));
  return r;
}

/** The room page's script asks for JSON (Accept or X-Requested-With); a plain form gets the page. */
function wantsJson(req: Request): boolean {
  return req.xhr || req.accepts(['html', 'json']) === 'json';
}

function lang(res: Response): 'ja' | 'en' {
  return res.locals.lang === 'en' ? 'en' : 'ja';
}

function view(deps: Deps, res: Response, d: DropRecord, base: string) {
  return dropView(deps, d, res.locals.t as TFunction, lang(res), roomLinks(base));
}

function receiptsJson(deps: Deps, res: Response, drops: DropRecord[], base: string) {
  return {
    drops: drops.map((d) => dropJson(deps, d, res.locals.t as TFunction, lang(res), roomLinks(base))),
    signing: signingInfo(deps),
  };
}

function pageLocals(deps: Deps, _res: Response, room: { id: string; name: string }, base: string) {
  const u = deps.config.limits.upload;
  return {
    room,
    base,
    keyFingerprint: signingInfo(deps).keyFingerprint,
    uploadLimits: uploadLimitsView(u),
  };
}
