import { actorOf } from '../http/locals.js';
import { Router, type Response } from 'express';
import type { TFunction } from 'i18next';
import { clientIp } from '../auth/passport.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { apiLogin, apiLogout } from '../auth/api-session.js';
import { apiLinks, dropJson, signingInfo } from './present.js';
import { limitDrainAfterResponse, receiveOrEnd } from './upload-response.js';
import { findDrop, listDrops, receiveDrops, signedReceipt, type DropRecord } from './service.js';

/**
 * /api/v1/… — the client side for scripts: log in (access key, login id,
 * password, TOTP) → bearer token → upload → signed receipts, all JSON.
 * Authentication is `Authorization: Bearer <token>` (session-middleware.ts);
 * requests without cookies skip CSRF (csrf.ts explains why that is safe).
 */
export function apiRoutes(deps: Deps): Router {
  const r = Router();

  r.post('/api/v1/session', policy({ audience: 'public', note: 'API login → bearer token (same login rules as the room)' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const session = await apiLogin(deps, {
      accessKey: body.accessKey,
      loginId: body.loginId,
      password: body.password,
      totp: body.totp,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      requestId: res.locals.requestId,
    });
    res.status(201).json(session);
  });

  r.delete('/api/v1/session', policy({ audience: 'client', note: 'API logout: ends the bearer session' }), async (_req, res) => {
    await apiLogout(deps, clientActor(res).sessionId);
    res.status(204).end();
  });

  r.post('/api/v1/drops', policy({ audience: 'client', tenant: true, note: 'API upload (multipart, streamed) → signed receipts' }), async (req, res) => {
    limitDrainAfterResponse(req, res);
    const actor = clientActor(res);
    const drops = await receiveOrEnd(res, () =>
      receiveDrops(deps, { ...actor, companyId: actor.companyId! }, { headers: req.headers, body: req }, { requestId: res.locals.requestId }),
    );
    if (!drops) return;
    res.status(201).json({ drops: drops.map((d) => json(deps, res, d)), signing: signingInfo(deps) });
  });

  r.get('/api/v1/drops', policy({ audience: 'client', tenant: true, note: 'API: the company’s drops with state' }), async (_req, res) => {
    const actor = clientActor(res);
    const drops = await listDrops(deps, actor.companyId!);
    res.json({ drops: drops.map((d) => json(deps, res, d)), signing: signingInfo(deps) });
  });

  r.get('/api/v1/drops/:id/receipt', policy({ audience: 'client', tenant: true, note: 'API: signed receipt of one drop' }), async (req, res) => {
    const actor = clientActor(res);
    const drop = await findDrop(deps, actor.companyId!, String(req.params.id));
    res.json(signedReceipt(deps, drop));
  });

  return r;
}

/** The policy let only clients through; a client always belongs to a company. */
function clientActor(res: Response): Actor & { companyId: string } {
  const a = actorOf(res);
  if (!a.companyId) throw new NotFound();
  return a as Actor & { companyId: string };
}

function json(deps: Deps, res: Response, d: DropRecord) {
  return dropJson(deps, d, res.locals.t as TFunction, res.locals.lang === 'en' ? 'en' : 'ja', apiLinks);
}
