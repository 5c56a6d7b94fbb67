import type { Response } from 'express';
import type { Actor } from './policies.js';

/**
 * What kinko's middleware puts on `res.locals`, typed once (declaration
 * merging into Express.Locals) so routes stop casting it by hand. Set by:
 * request-id (requestId), i18n (lang, otherLang), session (actor, or
 * enrolling during a first login).
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      requestId: string;
      lang: 'ja' | 'en';
      otherLang: 'ja' | 'en';
      actor?: Actor;
    }
  }
}

/** The signed-in person of a route behind a policy (which answered already if there is none). */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor;
  if (!actor) throw new Error('route reached without a signed-in actor: its policy must come first');
  return actor;
}
