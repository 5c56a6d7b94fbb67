import type { Kysely } from 'kysely';
import { limits } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Actor } from '../http/policies.js';
import { randomId, sha256 } from '../lib/random.js';

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
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256(id),
      user_id: userId,
      stage,
      created_at: at,
      last_seen_at: at,
      step_up_at: stepUp ? at : null,
      ip: meta.ip ?? null,
      user_agent: (meta.userAgent ?? '').slice(0, 200) || null,
    })
    .execute();
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
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('companies as c', 'c.id', 'u.company_id')
    .select([
      's.id_hash', 's.stage', 's.created_at', 's.last_seen_at', 's.step_up_at',
      'u.id as user_id', 'u.role', 'u.status', 'u.company_id', 'u.key_holder', 'u.hard_locked',
      'c.status as company_status',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
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
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
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
  await db.updateTable('sessions').set({ last_seen_at: now.toISOString() }).where('id_hash', '=', s.sessionId).execute();
}

export async function markStepUp(db: Kysely<Database>, sessionIdHash: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ step_up_at: now.toISOString() }).where('id_hash', '=', sessionIdHash).execute();
}

export async function destroySession(db: Kysely<Database>, sessionIdHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sessionIdHash).execute();
}

/** "Log out everywhere" and revocation: every live session of the user dies. */
export async function destroyUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listUserSessions(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom('sessions')
    .select(['id_hash', 'created_at', 'last_seen_at', 'ip', 'user_agent', 'stage'])
    .where('user_id', '=', userId)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export function stepUpFresh(actor: Actor, now: Date): boolean {
  return actor.stepUpAt !== undefined && now.getTime() - actor.stepUpAt <= limits.session.stepUpMs;
}
