import { Router, type Response } from 'express';
import type { Limits } from '../config.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { enrolmentFor, reopenEnrolment, type Enrolment } from './enrolment.js';
import { completeSetup, usableSetupToken, type SetupErrors, type SetupInput } from './service.js';

/**
 * /setup/:token — the first director, from the one-time link printed on the
 * console. An unknown, used or expired token (or any token once a director
 * exists) answers exactly like a random URL: 404.
 */
export function setupRoutes(deps: Deps): Router {
  const r = Router();
  const pub = policy({ audience: 'public', note: 'first-run setup; needs the one-time token from the server console' });

  r.get('/setup/:token', pub, async (req, res) => {
    const tokenHash = await usableSetupToken(deps, String(req.params.token));
    if (!tokenHash) throw new NotFound();
    renderForm(res, deps.config.limits, await enrolmentFor(deps.secrets.signing, tokenHash), {}, {});
  });

  r.post('/setup/:token', pub, async (req, res) => {
    const token = String(req.params.token);
    const tokenHash = await usableSetupToken(deps, token);
    if (!tokenHash) throw new NotFound();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    const secret = reopenEnrolment(deps.secrets.signing, tokenHash, field('totpSealed'));
    const input: SetupInput = {
      officeName: field('officeName'),
      directorName: field('directorName'),
      loginId: field('loginId'),
      password: field('password'),
      passwordConfirm: field('passwordConfirm'),
      totpSecret: secret ?? '',
      totpCode: field('totpCode'),
      keyPassphrase: field('keyPassphrase'),
      keyPassphraseConfirm: field('keyPassphraseConfirm'),
      email: field('email'),
    };
    const result = await completeSetup(deps, { token }, input);
    if (result.ok) {
      res.set('Cache-Control', 'no-store');
      return res.render('setup/done', { title: res.locals.t('setup.done.title'), loginId: result.loginId, fingerprint: result.fingerprint, email: result.email });
    }
    const errors = { ...result.errors };
    // A hidden field that no longer opens means a new secret: say so, the old QR is useless.
    if (!secret) errors.totpCode = 'setup.errors.totpRescan';
    const enrol = await enrolmentFor(deps.secrets.signing, tokenHash, secret ?? undefined);
    // Non-secret values come back; passwords and the passphrase are typed again, never echoed into HTML.
    const kept = { officeName: input.officeName, directorName: input.directorName, loginId: input.loginId, email: input.email ?? '' };
    renderForm(res.status(400), deps.config.limits, enrol, kept, errors);
  });
  return r;
}

function renderForm(res: Response, limits: Limits, enrol: Enrolment, values: Partial<Record<'officeName' | 'directorName' | 'loginId' | 'email', string>>, errors: SetupErrors): void {
  // The page carries the TOTP secret: no browser or proxy may keep it.
  res.set('Cache-Control', 'no-store');
  res.render('setup/form', {
    title: res.locals.t('setup.title'),
    enrol,
    values,
    errors,
    min: limits.password.minLength,
    ttlMinutes: Math.round(limits.setupTokenTtlMs / 60_000),
  });
}
