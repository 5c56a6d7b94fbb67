import type { AuditContext } from './service.js';

/**
 * Who is acting, in the one shape every service and every audit entry takes:
 * a signed-in person, an anonymous caller (failed logins, room access) or
 * kinko itself (CLI commands, scheduled work). Built once — per request by
 * the HTTP layer, once per command or job by the system — so no entry can be
 * written without its actor and request id.
 */
export interface Acting {
  userId: string | null;
  role: string | null;
  companyId: string | null;
  requestId: string | null;
  sessionId: string | null;
  /** The caller's address as the throttles key it; null for kinko itself. */
  ipClass: string | null;
  /** The audit key and clock of the running app (not enumerable: never logged or rendered). */
  readonly trail: AuditContext;
}

type Identity = Omit<Acting, 'trail'>;

function withTrail(identity: Identity, trail: AuditContext): Acting {
  // Non-enumerable, so spreading, logging or passing res.locals to a view never carries the audit key.
  return Object.defineProperty({ ...identity }, 'trail', { value: trail, enumerable: false }) as Acting;
}

/** The same actor, with some ids replaced (the person a failed login named, a company a route acts on). */
export function actingAs(acting: Acting, change: Partial<Identity>): Acting {
  return withTrail({ ...acting, ...change }, acting.trail);
}

/** A signed-in (or anonymous) caller of one request. */
export function requestActing(trail: AuditContext, who: Partial<Identity>): Acting {
  return withTrail(
    {
      userId: who.userId ?? null,
      role: who.role ?? null,
      companyId: who.companyId ?? null,
      requestId: who.requestId ?? null,
      sessionId: who.sessionId ?? null,
      ipClass: who.ipClass ?? null,
    },
    trail,
  );
}

/** kinko itself: a CLI command (role 'cli') or the server's own scheduled work (role as the entry has always said). */
export function systemActing(trail: AuditContext, role: string | null): Acting {
  return requestActing(trail, { role });
}
