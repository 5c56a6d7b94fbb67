import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Queries of the notify domain. Rows hold ids, counts and times only.
 * The batching and claiming rules are in the statements themselves (atomic
 * upsert, conditional update), so several app instances can share them.
 */
type Db = Kysely<Database> | Transaction<Database>;

/**
 * Adds `count` arrivals to the company's open notice, or opens one due at
 * `dueAt`. One statement: two instances recording arrivals of the same room at
 * once end up in the same notice (the partial unique index `notices_one_open`
 * turns the second insert into an update). Returns the notice id.
 */
export async function joinOpenNotice(
  db: Db,
  v: { newId: string; companyId: string; count: number; at: string; dueAt: string },
): Promise<string> {
  const row = await db
    .insertInto('notices')
    .values({
      id: v.newId, company_id: v.companyId, open: 1, drop_count: v.count,
      first_at: v.at, last_at: v.at, due_at: v.dueAt, attempts: 0,
    })
    .onConflict((oc) =>
      oc
        .column('company_id')
        // Literal, not a bound parameter: PostgreSQL matches the partial index by its predicate.
        .where(sql<boolean>`open = 1`)
        .doUpdateSet({
          drop_count: sql<number>`notices.drop_count + excluded.drop_count`,
          last_at: sql<string>`excluded.last_at`,
        }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Records arrivals; a drop already recorded is skipped. Returns how many are new. */
export async function insertArrivals(
  db: Db,
  rows: ReadonlyArray<{ drop_id: string; notice_id: string; company_id: string; arrived_at: string }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('notice_arrivals')
    .values([...rows])
    .onConflict((oc) => oc.column('drop_id').doNothing())
    .returning('drop_id')
    .execute();
  return inserted.length;
}

export async function addToNotice(db: Db, id: string, count: number): Promise<void> {
  await db.updateTable('notices').set((eb) => ({ drop_count: eb('drop_count', '+', count) })).where('id', '=', id).execute();
}

/** Notices whose window has passed and that nobody is sending (or whose sender vanished). */
export async function dueNoticeIds(db: Db, now: string, staleBefore: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('notices')
    .select('id')
    .where('sent_at', 'is', null)
    .where('due_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<=', staleBefore)]))
    .orderBy('due_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Takes a due notice for sending. Exactly one caller gets `true` for a given
 * notice (the WHERE is re-checked under the row lock), so two instances never
 * send the same e-mail. Closing it (`open = 0`) makes later arrivals start a
 * new notice instead of joining one whose count is already being mailed.
 */
export async function claimNotice(db: Db, id: string, token: string, now: string, staleBefore: string): Promise<boolean> {
  const res = await db
    .updateTable('notices')
    .set({ open: 0, claim_token: token, claimed_at: now })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .where('due_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<=', staleBefore)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function noticeForSending(db: Db, id: string): Promise<{ companyName: string; count: number } | undefined> {
  const row = await db
    .selectFrom('notices')
    .innerJoin('companies', 'companies.id', 'notices.company_id')
    .select(['companies.name as companyName', 'notices.drop_count as count'])
    .where('notices.id', '=', id)
    .executeTakeFirst();
  return row && { companyName: row.companyName, count: Number(row.count) };
}

/** The director and the designated key-holder staff who are active and have an address. */
export async function noticeRecipients(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('status', '=', 'active')
    .where('email', 'is not', null)
    .where((eb) => eb.or([eb('role', '=', 'director'), eb.and([eb('role', '=', 'staff'), eb('key_holder', '=', 1)])]))
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email ?? '');
}

export async function markSent(db: Db, id: string, token: string, now: string, recipients: number): Promise<void> {
  await db.updateTable('notices').set({ sent_at: now, recipients }).where('id', '=', id).where('claim_token', '=', token).execute();
}

/** Gives a failed notice back, to be tried again at `retryAt` (by any instance). */
export async function releaseClaim(db: Db, id: string, token: string, retryAt: string): Promise<void> {
  await db
    .updateTable('notices')
    .set((eb) => ({ claim_token: null, claimed_at: null, due_at: retryAt, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .where('sent_at', 'is', null)
    .execute();
}

export async function attemptsOf(db: Db, id: string): Promise<number> {
  const row = await db.selectFrom('notices').select('attempts').where('id', '=', id).executeTakeFirst();
  return Number(row?.attempts ?? 0);
}

export interface InboxRow {
  noticeId: string;
  companyName: string;
  count: number;
  firstAt: string;
  lastAt: string;
  sentAt: string | null;
  recipients: number | null;
  seenCount: number;
}

/** The recent notices with what this person has seen of each, newest first. */
export async function recentNotices(db: Db, userId: string, since: string, limit: number): Promise<InboxRow[]> {
  const rows = await db
    .selectFrom('notices')
    .innerJoin('companies', 'companies.id', 'notices.company_id')
    .leftJoin('notice_seen', (j) => j.onRef('notice_seen.notice_id', '=', 'notices.id').on('notice_seen.user_id', '=', userId))
    .select([
      'notices.id as noticeId', 'companies.name as companyName', 'notices.drop_count as count',
      'notices.first_at as firstAt', 'notices.last_at as lastAt', 'notices.sent_at as sentAt',
      'notices.recipients as recipients', 'notice_seen.seen_count as seenCount',
    ])
    .where('notices.last_at', '>=', since)
    .orderBy('notices.last_at', 'desc')
    .orderBy('notices.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    count: Number(r.count),
    recipients: r.recipients === null ? null : Number(r.recipients),
    seenCount: Number(r.seenCount ?? 0),
  }));
}

/** How many recent arrivals this person has not seen yet. */
export async function countUnseen(db: Db, userId: string, since: string): Promise<number> {
  const row = await db
    .selectFrom('notices')
    .leftJoin('notice_seen', (j) => j.onRef('notice_seen.notice_id', '=', 'notices.id').on('notice_seen.user_id', '=', userId))
    .select(sql<number>`coalesce(sum(notices.drop_count - coalesce(notice_seen.seen_count, 0)), 0)`.as('unseen'))
    .where('notices.last_at', '>=', since)
    .executeTakeFirst();
  return Math.max(0, Number(row?.unseen ?? 0));
}

/** Remembers the counts this person was shown; never lowers what they had already seen. */
export async function markSeen(db: Db, userId: string, seen: ReadonlyArray<{ noticeId: string; count: number }>, now: string): Promise<void> {
  if (seen.length === 0) return;
  await db
    .insertInto('notice_seen')
    .values(seen.map((s) => ({ user_id: userId, notice_id: s.noticeId, seen_count: s.count, seen_at: now })))
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'notice_id'])
        .doUpdateSet({ seen_count: sql<number>`excluded.seen_count`, seen_at: sql<string>`excluded.seen_at` })
        .where(sql<boolean>`notice_seen.seen_count < excluded.seen_count`),
    )
    .execute();
}
