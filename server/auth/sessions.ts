import type { Kysely } from 'kysely';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Actor } from '../http/policies.js';
import { randomId, sha256 } from '../lib/random.js';
import * as repo from './repo.js';

/**
 * Server-side sessions in the office database, so any app instance serves any
 * request and a revocation takes effect everywhere at the next request. Only
 * SHA-256 of the session id is stored: a copy of the database opens no session.
 */
export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export async function createSession(db: Kysely<Database>, userId: string, stage: 'full' | 'enrol', now: Date, meta: SessionMeta, stepUp = false): Promise<string> {
  const id = randomId(32); // 256 bits
  const at = now.toISOString();
  await repo.insertSession(db, {
    id_hash: sha256(id),
    user_id: userId,
    stage,
    created_at: at,
    last_seen_at: at,
    step_up_at: stepUp ? at : null,
    ip: meta.ip ?? null,
    user_agent: (meta.userAgent ?? '').slice(0, 200) || null,
  });
  return id;
}

export type LoadedSession = Actor & { stage: 'full' | 'enrol'; lastSeenAt: string };

/**
 * The actor behind a session id, or null when the session is unknown, idle
 * too long, past its absolute lifetime, or its user or company was revoked —
 * in which case the row is deleted so it can never come back.
 */
export async function loadSession(db: Kysely<Database>, id: string, now: Date): Promise<LoadedSession | null> {
  const idHash = sha256(id);
  const row = await repo.findSessionWithUser(db, idHash);
  if (!row) return null;
  const t = now.getTime();
  const idle = row.role === 'client' ? limits.session.clientIdleMs : limits.session.officeIdleMs;
  const dead =
    row.status !== 'active' ||
    row.hard_locked === 1 ||
    (row.role === 'client' && row.company_status !== 'active') ||
    t - Date.parse(row.last_seen_at) > idle ||
    t - Date.parse(row.created_at) > limits.session.absoluteMs;
  if (dead) {
    await repo.deleteSession(db, idHash);
    return null;
  }
  return {
    userId: row.user_id,
    role: row.role,
    companyId: row.company_id ?? undefined,
    keyHolder: row.key_holder === 1,
    sessionId: idHash,
    stepUpAt: row.step_up_at ? Date.parse(row.step_up_at) : undefined,
    stage: row.stage,
    lastSeenAt: row.last_seen_at,
  };
}

/** Records activity; written at most every 15 s per session to spare the database. */
export async function touchSession(db: Kysely<Database>, s: LoadedSession, now: Date): Promise<void> {
  if (now.getTime() - Date.parse(s.lastSeenAt) < 15_000) return;
  await repo.setSessionLastSeen(db, s.sessionId, now.toISOString());
}

export async function markStepUp(db: Kysely<Database>, sessionIdHash: string, now: Date): Promise<void> {
  await repo.setSessionStepUp(db, sessionIdHash, now.toISOString());
}

export async function destroySession(db: Kysely<Database>, sessionIdHash: string): Promise<void> {
  await repo.deleteSession(db, sessionIdHash);
}

/** "Log out everywhere" and revocation: every live session of the user dies. */
export async function destroyUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  return repo.deleteUserSessions(db, userId);
}

export async function listUserSessions(db: Kysely<Database>, userId: string) {
  return repo.listSessionsOfUser(db, userId);
}

export function stepUpFresh(actor: Actor, now: Date): boolean {
  return actor.stepUpAt !== undefined && now.getTime() - actor.stepUpAt <= limits.session.stepUpMs;
}
