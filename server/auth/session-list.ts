import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import type { Actor } from '../http/policies.js';
import * as repo from './repo.js';
import { listUserSessions } from './sessions.js';
import { jstStamp } from '../lib/jst.js';

/**
 * "Where am I signed in?" for the sessions page: each live session with its
 * start, last activity, address and a short browser name, the current one
 * marked — so a person can spot a session that is not theirs and end them all.
 */
export interface SessionRow {
  startedAt: string;
  lastSeenAt: string;
  ip: string;
  browser: string;
  current: boolean;
}

export function describeBrowser(ua: string | null): string {
  if (!ua) return '—';
  const browser = /Edg\//.test(ua) ? 'Microsoft Edge'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\//.test(ua) ? 'Google Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : null;
  const os = /iPhone|iPad/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /Linux/.test(ua) ? 'Linux'
    : null;
  if (browser) return os ? `${browser} (${os})` : browser;
  return ua.length > 60 ? `${ua.slice(0, 60)}…` : ua;
}

export async function sessionRows(deps: Deps, actor: Actor): Promise<SessionRow[]> {
  const rows = await listUserSessions(deps.db, actor.userId);
  const now = deps.clock.now().getTime();
  const { session } = deps.config.limits;
  const idle = actor.role === 'client' ? session.clientIdleMs : session.officeIdleMs;
  // Dead sessions are deleted lazily (at their next use), so leave them out here.
  const live = (r: (typeof rows)[number]) =>
    now - Date.parse(r.last_seen_at) <= idle && now - Date.parse(r.created_at) <= session.absoluteMs;
  return rows
    .filter((r) => r.stage === 'full' && live(r))
    .map((r) => ({
      startedAt: jstStamp(r.created_at),
      lastSeenAt: jstStamp(r.last_seen_at),
      ip: r.ip ?? '—',
      browser: describeBrowser(r.user_agent),
      current: r.id_hash === actor.sessionId,
    }));
}

/** "Log out everywhere": every session of this person ends, this one included. */
export async function logoutEverywhere(deps: Deps, actor: Actor, requestId?: string): Promise<number> {
  return deps.db.transaction().execute(async (trx) => {
    const n = await repo.deleteUserSessions(trx, actor.userId);
    const acting = requestActing(auditContext(deps), { ...actor, requestId });
    await record(trx, acting, { action: 'auth.logout_everywhere', targetIds: [actor.userId], details: { sessions: n } });
    return n;
  });
}
