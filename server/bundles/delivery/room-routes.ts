import { Router, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { requireOwnRoom } from '../../auth/room-access.js';
import { signedInActing } from '../../auth/request-acting.js';
import type { Deps } from '../../deps.js';
import { policy } from '../../http/policies.js';
import { bundlesOfCompany } from './repo.js';
import { downloadLink, downloadName, liveBundle, markSubmitted, sealedStream } from './service.js';
import { bundleListView, bundleView } from './view.js';

/**
 * The client's side of the bundles (issue 15 §5–6): the list in its room, a
 * download (a POST, so that only a deliberate click is on record; 303 to a
 * link valid for minutes), the in-browser open for a passphrase-sealed one
 * (the ciphertext passes through kinko, the passphrase never does), and
 * 提出済 — which destroys the numbered copy at once. Another company's
 * bundle is the 404 of any unknown URL; a destroyed one says so (410).
 */
const client = (note: string) => policy({ audience: 'client', tenant: true, note });
const lang = (res: Response) => (res.locals.lang === 'en' ? 'en' : 'ja');
const bid = (req: Request) => String(req.params['id'] ?? '');

export function bundleRoomRoutes(deps: Deps): Router {
  const r = Router();
  const own = async (req: Request, res: Response) => {
    const { room } = await requireOwnRoom(deps, req.params['key'], res);
    return { room, base: `/room/${room.key}` };
  };

  r.get('/room/:key/bundles', client('the client’s sealed year-end bundles: destination, 年分, size, SHA-256, expiry'), async (req, res) => {
    const { room, base } = await own(req, res);
    const bundles = bundleListView(res.locals.t, lang(res), await bundlesOfCompany(deps.db, room.id), deps.clock.now());
    res.set('Cache-Control', 'no-store').render('room/bundles', { title: res.locals.t('bundles.delivery.room.title'), room, base, bundles, done: req.query['done'] === 'submitted' });
  });

  r.post('/room/:key/bundles/:id/download', client('download one sealed bundle: on record first, then a short-lived link'), async (req, res) => {
    const { room } = await own(req, res);
    const b = await liveBundle(deps, bid(req), { companyId: room.id });
    res.redirect(303, await downloadLink(deps, signedInActing(deps, req, res), b, 'room'));
  });

  r.get('/room/:key/bundles/:id/open', client('open a passphrase-sealed bundle in the browser (OpenPGP.js); the server never sees the passphrase'), async (req, res) => {
    const { room, base } = await own(req, res);
    const b = await liveBundle(deps, bid(req), { companyId: room.id });
    const v = bundleView(res.locals.t, lang(res), b, deps.clock.now());
    res.set('Cache-Control', 'no-store').render('room/bundle-open', { title: res.locals.t('bundles.delivery.open.title'), room, base, b: v });
  });

  r.post('/room/:key/bundles/:id/sealed', client('the sealed message of one bundle for the in-browser open (ciphertext only, on record)'), async (req, res) => {
    const { room } = await own(req, res);
    const b = await liveBundle(deps, bid(req), { companyId: room.id });
    const stream = await sealedStream(deps, signedInActing(deps, req, res), b);
    res.set({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(b.size), 'Content-Disposition': `attachment; filename="${downloadName(b)}"`, 'Cache-Control': 'no-store' });
    await pipeline(stream, res);
  });

  r.post('/room/:key/bundles/:id/submitted', client('mark a bundle 提出済: its numbered copy is destroyed at once, with a record'), async (req, res) => {
    const { room, base } = await own(req, res);
    const b = await liveBundle(deps, bid(req), { companyId: room.id });
    await markSubmitted(deps, signedInActing(deps, req, res), b);
    res.redirect(303, `${base}/bundles?done=submitted`);
  });
  return r;
}
