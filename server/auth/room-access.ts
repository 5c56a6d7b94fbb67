import type { Response } from 'express';
import { findActiveCompanyByAccessKey } from './access-keys.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import type { LoadedSession } from './sessions.js';

export type Room = NonNullable<Awaited<ReturnType<typeof findActiveCompanyByAccessKey>>> & {
  /** The access key as it came in the URL (already checked): only for building this room's own links. */
  key: string;
};

/**
 * The company behind a room URL. A wrong, rotated or revoked key answers
 * exactly like any unknown address (404), so keys cannot be probed.
 */
export async function openRoom(deps: Deps, key: unknown): Promise<Room> {
  const room = typeof key === 'string' ? await findActiveCompanyByAccessKey(deps.db, key) : null;
  if (!room) throw new NotFound();
  return { ...room, key: key as string };
}

/** The client signed in for THIS room; a session of another company (or of the office) does not count here. */
export function roomActor(res: Response, room: Room): Actor | undefined {
  const a = res.locals.actor as Actor | undefined;
  return a && a.role === 'client' && a.companyId === room.id ? a : undefined;
}

/** The first-login (enrol) session of a client of THIS room. */
export function roomEnrolling(res: Response, room: Room): LoadedSession | undefined {
  const e = res.locals.enrolling as LoadedSession | undefined;
  return e && e.role === 'client' && e.companyId === room.id ? e : undefined;
}

/**
 * For routes under /room/:key that need the signed-in client of that room
 * (policy audience 'client', tenant): another company's client gets the
 * same 404 as a wrong key (P7).
 */
export async function requireOwnRoom(deps: Deps, key: unknown, res: Response): Promise<{ room: Room; actor: Actor }> {
  const room = await openRoom(deps, key);
  const actor = roomActor(res, room);
  if (!actor) throw new NotFound();
  return { room, actor };
}
