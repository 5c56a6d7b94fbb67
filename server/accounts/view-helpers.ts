import type { Request, Response } from 'express';
import type { Actor } from '../http/policies.js';
import { actingFrom, type Acting } from './acting.js';
import { formatJst } from '../lib/jst.js';
import type { CredentialSheet } from './credential-sheet.js';
import { actorOf } from '../http/locals.js';

export { actorOf };

export function acting(res: Response): Acting {
  return actingFrom(actorOf(res), res.locals.requestId);
}

/**
 * What every console page needs to decide which buttons to show. Actions that
 * issue or revoke credentials need a fresh step-up (security.md); when it is
 * stale the page says so and links to /office/step-up, coming back here after.
 */
export function consoleLocals(req: Request, res: Response) {
  const actor = actorOf(res);
  const fresh = res.locals.stepUpFresh as ((a: Actor) => boolean) | undefined;
  return {
    actor,
    isDirector: actor.role === 'director',
    stepUpFresh: !!fresh?.(actor),
    stepUpUrl: `/office/step-up?next=${encodeURIComponent(req.originalUrl)}`,
  };
}

/** Only known notices are shown: `?done=` is a choice from this list, never text from the URL. */
const DONE = ['revoked', 'enabled', 'unlocked', 'holderRemoved'] as const;
export function doneNotice(req: Request): string | null {
  const d = req.query.done;
  return typeof d === 'string' && (DONE as readonly string[]).includes(d) ? `accounts.done.${d}` : null;
}

/**
 * Renders the one-time sheet. It is the response to the POST that created the
 * password, so the password is never in a URL, history entry or redirect;
 * no-store keeps it out of every cache, and "back" cannot show it again.
 */
export function renderSheet(res: Response, sheet: CredentialSheet): void {
  const lang = (res.locals.lang as string) ?? 'ja';
  res.set('Cache-Control', 'no-store');
  res.render('office/credential-sheet', {
    title: res.locals.t(sheet.audience === 'client' ? 'accounts.sheet.titleClient' : 'accounts.sheet.titleStaff'),
    sheet,
    expires: sheet.expiresAt ? formatJst(sheet.expiresAt, lang) : null,
    issued: formatJst(sheet.issuedAt, lang),
  });
}

export function jst(res: Response, iso: string | null): string {
  return iso ? formatJst(new Date(iso), (res.locals.lang as string) ?? 'ja') : '';
}

/** The `:id` of the path as one string ('' for anything else; the service answers 404 for it). */
export function idParam(req: Request): string {
  const v = (req.params as Record<string, unknown>).id;
  return typeof v === 'string' ? v : '';
}
