import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DirectorAlertMailState } from '../db/tables/director-alerts.js';

/** Queries of the director alerts (director-alerts.ts). Rows hold ids, kinds and times only. */
export type Db = Kysely<Database> | Transaction<Database>;

export async function insertAlert(db: Db, a: { id: string; kind: string; aboutUserId: string | null; at: string }): Promise<void> {
  await db
    .insertInto('director_alerts')
    .values({ id: a.id, kind: a.kind, about_user_id: a.aboutUserId, created_at: a.at, mail_state: 'pending', mail_recipients: null, acknowledged_at: null, acknowledged_by: null })
    .execute();
}

export async function setMailState(db: Db, id: string, state: DirectorAlertMailState, recipients: number): Promise<void> {
  await db.updateTable('director_alerts').set({ mail_state: state, mail_recipients: recipients }).where('id', '=', id).execute();
}

/** Addresses of the active directors (checked for shape by the caller). */
export async function directorAddresses(db: Db): Promise<Array<string | null>> {
  const rows = await db.selectFrom('users').select('email').where('role', '=', 'director').where('status', '=', 'active').orderBy('id').execute();
  return rows.map((r) => r.email);
}

export interface AlertRow {
  id: string;
  kind: string;
  aboutUserId: string | null;
  aboutName: string | null;
  aboutLoginId: string | null;
  createdAt: string;
  mailState: DirectorAlertMailState;
}

function shape(r: {
  id: string; kind: string; about_user_id: string | null; display_name: string | null; login_id: string | null; created_at: string; mail_state: DirectorAlertMailState;
}): AlertRow {
  return { id: r.id, kind: r.kind, aboutUserId: r.about_user_id, aboutName: r.display_name, aboutLoginId: r.login_id, createdAt: r.created_at, mailState: r.mail_state };
}

/** Alerts no director has marked seen yet, newest first. */
export async function openAlerts(db: Db, limit: number): Promise<AlertRow[]> {
  const rows = await db
    .selectFrom('director_alerts')
    .leftJoin('users', 'users.id', 'director_alerts.about_user_id')
    .select(['director_alerts.id', 'director_alerts.kind', 'director_alerts.about_user_id', 'users.display_name', 'users.login_id', 'director_alerts.created_at', 'director_alerts.mail_state'])
    .where('director_alerts.acknowledged_at', 'is', null)
    .orderBy('director_alerts.created_at', 'desc')
    .orderBy('director_alerts.id')
    .limit(limit)
    .execute();
  return rows.map(shape);
}

/** The newest alert of this kind about this person raised at or after `since`. */
export async function latestAbout(db: Db, kind: string, aboutUserId: string, since: string): Promise<{ id: string; mailState: DirectorAlertMailState } | null> {
  const row = await db
    .selectFrom('director_alerts')
    .select(['id', 'mail_state'])
    .where('kind', '=', kind)
    .where('about_user_id', '=', aboutUserId)
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, mailState: row.mail_state } : null;
}

/** Marks an open alert seen; false when it is unknown or was already marked. */
export async function acknowledge(db: Db, id: string, by: string, at: string): Promise<boolean> {
  const r = await db
    .updateTable('director_alerts')
    .set({ acknowledged_at: at, acknowledged_by: by })
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function exists(db: Db, id: string): Promise<boolean> {
  return !!(await db.selectFrom('director_alerts').select('id').where('id', '=', id).executeTakeFirst());
}

/** Alerts of these kinds raised after `since`, seen or not, newest first (a domain's own history page). */
export async function recentOfKinds(db: Db, kinds: readonly string[], since: string, limit: number) {
  if (kinds.length === 0) return [];
  const rows = await db
    .selectFrom('director_alerts')
    .leftJoin('users', 'users.id', 'director_alerts.about_user_id')
    .select([
      'director_alerts.id', 'director_alerts.kind', 'director_alerts.about_user_id', 'users.display_name', 'users.login_id', 'director_alerts.created_at',
      'director_alerts.mail_state', 'director_alerts.mail_recipients', 'director_alerts.acknowledged_at',
    ])
    .where('director_alerts.kind', 'in', kinds)
    .where('director_alerts.created_at', '>', since)
    .orderBy('director_alerts.created_at', 'desc')
    .orderBy('director_alerts.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...shape(r), recipients: r.mail_recipients ?? 0, seen: r.acknowledged_at !== null }));
}

/** Marks every open alert of these kinds about one person seen; returns how many. */
export async function acknowledgeAbout(db: Db, kinds: readonly string[], aboutUserId: string, by: string, at: string): Promise<number> {
  if (kinds.length === 0) return 0;
  const r = await db
    .updateTable('director_alerts')
    .set({ acknowledged_at: at, acknowledged_by: by })
    .where('kind', 'in', kinds)
    .where('about_user_id', '=', aboutUserId)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
