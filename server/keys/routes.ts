import { actorOf } from '../http/locals.js';
import { Router, type Response } from 'express';
import type { Limits } from '../config.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { KeyPassphraseProblem, NotKeyHolder, WrongKeyPassphrase } from './errors.js';
import { changeHolderPassphrase, keyHolderStatus, officePublicKey } from './office-key.js';

/**
 * /office-key.asc — the office public key at a stable URL, for clients and
 * GnuPG users to encrypt to (404 until setup has created it).
 * /office/key/passphrase — a key holder replaces their key passphrase; required
 * while the copy is still locked with the one-time passphrase.
 */
export function publicKeyRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office-key.asc', policy({ audience: 'public', note: 'office OpenPGP public key' }), async (_req, res) => {
    const key = await officePublicKey(deps.db);
    if (!key) throw new NotFound();
    res
      .type('application/pgp-keys')
      .set('Content-Disposition', 'inline; filename="office-key.asc"')
      .set('Cache-Control', 'no-cache')
      .set('X-Key-Fingerprint', key.fingerprint.toUpperCase())
      .send(key.armored);
  });

  const staff = policy({ audience: 'staff', note: 'key holder changes own key passphrase' });

  r.get('/office/key/passphrase', staff, async (_req, res) => {
    const actor = actorOf(res);
    const status = await keyHolderStatus(deps.db, actor.userId);
    if (!status.holder) throw new NotKeyHolder();
    renderPassphrase(res, deps.config.limits, { mustChange: status.mustChange, errors: {}, done: false });
  });

  r.post('/office/key/passphrase', staff, async (req, res) => {
    const actor = actorOf(res);
    const holder = await keyHolderStatus(deps.db, actor.userId);
    if (!holder.holder) throw new NotKeyHolder();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    const errors: Record<string, string> = {};
    let status = 400;
    if (field('newPassphrase') !== field('newPassphraseConfirm')) errors.newPassphraseConfirm = 'keys.errors.passphraseMismatch';
    if (!errors.newPassphraseConfirm) {
      try {
        await changeHolderPassphrase(deps, {
          userId: actor.userId,
          oldPassphrase: field('currentPassphrase'),
          newPassphrase: field('newPassphrase'),
          now: deps.clock.now(),
          requestId: res.locals.requestId,
        });
        return renderPassphrase(res, deps.config.limits, { mustChange: false, errors: {}, done: true });
      } catch (err) {
        if (err instanceof WrongKeyPassphrase) {
          // Repeated failures here are someone guessing a key passphrase: leave a trace (ids only).
          deps.logger.warn({ userId: actor.userId, requestId: res.locals.requestId }, 'wrong key passphrase on passphrase change');
          errors.currentPassphrase = err.messageKey;
          status = err.status; // 429 once the tries are locked (KeyPassphraseLocked)
        } else if (err instanceof KeyPassphraseProblem) errors[err.field] = err.messageKey;
        else throw err;
      }
    }
    renderPassphrase(res.status(status), deps.config.limits, { mustChange: holder.mustChange, errors, done: false });
  });
  return r;
}

function renderPassphrase(res: Response, limits: Limits, view: { mustChange: boolean; errors: Record<string, string>; done: boolean }): void {
  res.set('Cache-Control', 'no-store');
  res.render('office/key-passphrase', { title: res.locals.t('keys.passphrase.title'), min: limits.password.minLength, ...view });
}
