import { actorOf } from '../http/locals.js';
import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { policy, type Actor } from '../http/policies.js';
import { jstStamp } from '../lib/jst.js';
import { keyLockPage, liftKeyLock, NOTICE_DAYS } from './lock-console.js';

/**
 * /office/key-locks — the director's view of key passphrase locks (lock-console.ts).
 * Its alerts are marked seen through the one director-alert route, /office/alerts/:id/ack.
 */
export function keyLockRoutes(deps: Deps): Router {
  const r = Router();
  const actor = (res: Response) => actorOf(res);
  const requestId = (res: Response) => (res.locals.requestId as string | undefined) ?? null;
  const param = (req: Request, k: string) => {
    const v = (req.params as Record<string, unknown>)[k];
    return typeof v === 'string' ? v : '';
  };

  r.get('/office/key-locks', policy({ audience: 'director', note: 'key passphrase locks and their notices' }), async (req, res) => {
    const page = await keyLockPage(deps);
    const fresh = res.locals.stepUpFresh as ((a: Actor) => boolean) | undefined;
    res.set('Cache-Control', 'no-store').render('office/key-locks', {
      title: res.locals.t('keyLocks.page.title'),
      locked: page.locked.map((l) => ({ ...l, untilText: l.hardLocked === 1 || !l.lockedUntil ? null : jstStamp(l.lockedUntil) })),
      notices: page.notices.map((n) => ({ ...n, atText: jstStamp(n.createdAt), untilText: n.lockedUntil ? jstStamp(n.lockedUntil) : null })),
      days: NOTICE_DAYS,
      limits: deps.config.limits.keyPassphrase,
      done: typeof req.query.done === 'string' && ['lifted', 'seen'].includes(req.query.done) ? req.query.done : null,
      isDirector: true,
      stepUpFresh: !!fresh?.(actor(res)),
      stepUpUrl: `/office/step-up?next=${encodeURIComponent('/office/key-locks')}`,
    });
  });

  r.post('/office/key-locks/:userId/unlock', policy({ audience: 'director', stepUp: true, note: 'lift a key passphrase lock' }), async (req, res) => {
    await liftKeyLock(deps, actor(res), param(req, 'userId'), requestId(res));
    res.redirect(303, '/office/key-locks?done=lifted');
  });
  return r;
}
