import type { RequestHandler } from 'express';
import { Forbidden, NotFound, Unauthorized } from './errors.js';

/**
 * Every route declares who may call it (P7). `policy()` is both the declaration
 * and its enforcement: it is the first handler of every route, and the route
 * inventory test walks the router and fails on any route whose first handler
 * is not a policy. Deny by default: a route without one cannot pass review.
 */
export type Audience = 'public' | 'client' | 'staff' | 'director';

export interface Policy {
  audience: Audience;
  /** Route acts on one company's data: the acting client may only reach its own (others answer 404). */
  tenant?: boolean;
  /** Needs a fresh TOTP (step-up) within limits.session.stepUpMs. */
  stepUp?: boolean;
  /** Short reason shown in the policy table (docs/routes.md). */
  note?: string;
}

/** What the auth layer puts in res.locals.actor for a signed-in request. */
export interface Actor {
  userId: string;
  role: 'client' | 'staff' | 'director';
  companyId?: string;
  keyHolder?: boolean;
  sessionId: string;
  stepUpAt?: number;
}

export type PolicyHandler = RequestHandler & { policy: Readonly<Policy> };

export function policy(p: Policy): PolicyHandler {
  const frozen = Object.freeze({ ...p });
  const handler: RequestHandler = (req, res, next) => {
    if (frozen.audience === 'public') return next();
    const actor = res.locals.actor as Actor | undefined;
    if (!actor) throw new Unauthorized();
    const ok =
      frozen.audience === 'client'
        ? actor.role === 'client'
        : frozen.audience === 'staff'
          ? actor.role === 'staff' || actor.role === 'director'
          : actor.role === 'director';
    // A client probing office URLs learns nothing: it gets the same 404 as a random path.
    if (!ok) throw actor.role === 'client' ? new NotFound() : new Forbidden();
    if (frozen.stepUp) {
      const fresh = res.locals.stepUpFresh as ((a: Actor) => boolean) | undefined;
      if (!fresh || !fresh(actor)) {
        // A person opening a sensitive page is sent to type a fresh code and
        // comes back; a form post or script gets the plain 403 (its body cannot be replayed).
        if (stepUpByRedirect(req)) return res.redirect(303, `/office/step-up?next=${encodeURIComponent(req.originalUrl)}`);
        throw new Forbidden('errors.stepUpRequired');
      }
    }
    next();
  };
  return Object.assign(handler, { policy: frozen });
}

function stepUpByRedirect(req: Parameters<RequestHandler>[0]): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    req.originalUrl.startsWith('/office') &&
    req.accepts(['html', 'json']) === 'html'
  );
}

export function isPolicyHandler(h: unknown): h is PolicyHandler {
  return typeof h === 'function' && typeof (h as PolicyHandler).policy === 'object';
}
