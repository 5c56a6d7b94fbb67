import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { randomId } from '../lib/random.js';
import { noticeEmail } from './email.js';
import * as repo from './repo.js';
import { startRepeatingTask } from '../lib/repeating-task.js';

/**
 * Office notices (design §1 step 3): each committed drop is recorded for the
 * office inbox, and the director and designated key-holder staff get ONE
 * e-mail per room per batching window (config.notifyBatchSeconds), which
 * names the room and the count only.
 *
 * Pending notices live in the database, not in memory, so batching holds
 * across several app instances and survives restarts: any instance's timer
 * sends a due notice, claiming it first so that no two send the same one.
 * If a sender dies after the SMTP server accepted the mail but before it
 * recorded that, the claim expires and the notice is sent again: a duplicate
 * is possible after a crash, a lost notice is not.
 */

/** A sender that claimed a notice and vanished (crash) loses it after this long. */
const CLAIM_LEASE_MS = 10 * 60_000;
/** Notices handled per flush; the rest wait for the next tick. */
const FLUSH_BATCH = 50;
/** Retry a failed send after 1, 2, 4 … minutes, at most an hour apart. */
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 60 * 60_000;
/** The inbox and its badge look back this far. */
export const INBOX_DAYS = 30;
const INBOX_LIMIT = 200;

export interface ArrivalInput {
  companyId: string;
  /** Ids of drops already committed. Only ids: names and sizes never reach the notice. */
  dropIds: readonly string[];
}

/**
 * Records committed drops for the inbox and the next e-mail notice of their
 * room. Call it after the drop's transaction committed. Repeating a call for
 * the same drop ids is harmless (each drop counts once).
 *
 * It never rejects: the drop is already acknowledged to the client and must
 * not fail because a notice could not be recorded; a failure is logged.
 * Resolves to the number of newly recorded drops (0 on failure).
 */
export async function noteArrival(deps: Deps, input: ArrivalInput): Promise<number> {
  const ids = [...new Set(input.dropIds)].filter((id) => typeof id === 'string' && id.length > 0);
  if (ids.length === 0) return 0;
  try {
    const now = deps.clock.now();
    const at = now.toISOString();
    const dueAt = new Date(now.getTime() + deps.config.notifyBatchSeconds * 1000).toISOString();
    const added = await deps.db
      .transaction()
      .execute(async (trx) => {
        // Write first: on SQLite a transaction that reads before its first
        // write cannot wait for another writer (SQLITE_BUSY_SNAPSHOT); one
        // that starts with a write waits for the lock (busy_timeout).
        const noticeId = await repo.joinOpenNotice(trx, { newId: randomId(), companyId: input.companyId, count: 0, at, dueAt });
        const fresh = await repo.insertArrivals(
          trx,
          ids.map((drop_id) => ({ drop_id, notice_id: noticeId, company_id: input.companyId, arrived_at: at })),
        );
        if (fresh === 0) throw nothingNew; // rolls back a notice opened for nothing
        await repo.addToNotice(trx, noticeId, fresh);
        return fresh;
      })
      .catch((err: unknown) => {
        if (err === nothingNew) return 0;
        throw err;
      });
    if (added) deps.logger.debug({ companyId: input.companyId, drops: added }, 'arrival recorded for the office notice');
    return added;
  } catch (err) {
    deps.logger.error({ companyId: input.companyId, drops: ids.length, err: errorSummary(err) }, 'arrival could not be recorded for the office notice');
    return 0;
  }
}

/** Rolls back a transaction that recorded nothing new. */
const nothingNew = Symbol('nothing new');

export interface FlushResult {
  sent: number;
  failed: number;
}

/**
 * Sends every notice whose batching window has passed. Safe to run on several
 * instances at once and at any moment: each notice is claimed atomically
 * before it is sent. A failed send is given back and retried later with backoff.
 */
export async function flushDueNotices(deps: Deps): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, failed: 0 };
  const started = deps.clock.now();
  const due = await repo.dueNoticeIds(deps.db, started.toISOString(), staleBefore(started), FLUSH_BATCH);
  for (const id of due) {
    const now = deps.clock.now();
    const token = randomId();
    if (!(await repo.claimNotice(deps.db, id, token, now.toISOString(), staleBefore(now)))) continue; // another instance has it
    try {
      const recipients = await sendNotice(deps, id);
      await repo.markSent(deps.db, id, token, deps.clock.now().toISOString(), recipients);
      result.sent += 1;
    } catch (err) {
      result.failed += 1;
      const attempts = await repo.attemptsOf(deps.db, id).catch(() => 0);
      const retryAt = new Date(deps.clock.now().getTime() + Math.min(RETRY_BASE_MS * 2 ** attempts, RETRY_MAX_MS));
      await repo.releaseClaim(deps.db, id, token, retryAt.toISOString()).catch(() => {});
      deps.logger.warn({ noticeId: id, attempt: attempts + 1, retryAt: retryAt.toISOString(), err: errorSummary(err) }, 'office notice could not be sent; will retry');
    }
  }
  return result;
}

async function sendNotice(deps: Deps, id: string): Promise<number> {
  const notice = await repo.noticeForSending(deps.db, id);
  if (!notice) return 0;
  const stored = await repo.noticeRecipients(deps.db);
  const to = usableAddresses(stored);
  if (to.length < stored.length) deps.logger.warn({ noticeId: id, skipped: stored.length - to.length }, 'office notice: stored addresses skipped (not one plain address, or a duplicate)');
  if (to.length === 0) {
    deps.logger.warn({ noticeId: id }, 'office notice not mailed: no active director or key-holder staff member has an email address');
    return 0;
  }
  const texts = deps.i18n;
  const message = noticeEmail(
    to,
    { companyName: notice.companyName, count: notice.count, inboxUrl: `${deps.config.publicUrl}/office/drops` },
    { ja: texts.getFixedT('ja'), en: texts.getFixedT('en') },
  );
  await deps.mailer.send(message);
  return to.length;
}

/**
 * Runs flushDueNotices every few seconds (a tenth of the window, between 1 s
 * and 30 s) until the returned function is called; that function waits for a
 * flush in progress. Ticks never overlap. main.ts starts it after listen.
 */
export function startNoticeTimer(deps: Deps, opts: { intervalMs?: number } = {}): () => Promise<void> {
  const intervalMs = opts.intervalMs ?? Math.min(30_000, Math.max(1_000, deps.config.notifyBatchSeconds * 100));
  return startRepeatingTask({
    everyMs: intervalMs,
    // Notices that fell due while no instance ran (restart) go out at once.
    firstAfterMs: Math.min(intervalMs, 1_000),
    run: () => flushDueNotices(deps),
    onError: (err) => deps.logger.error({ err: errorSummary(err) }, 'office notices could not be flushed'),
  });
}

/** Unseen arrivals of the last INBOX_DAYS for this office member (the header badge). */
export async function unseenCount(db: Kysely<Database>, userId: string, now: Date = new Date()): Promise<number> {
  return repo.countUnseen(db, userId, inboxSince(now));
}

export interface InboxEntry {
  companyName: string;
  count: number;
  firstAt: string;
  lastAt: string;
  /** Arrivals this person had not seen before opening the inbox now. */
  unseen: number;
  mail: 'sent' | 'pending' | 'nobody';
}

/**
 * The office inbox for one person, newest first; opening it marks what it
 * shows as seen for that person (others keep their own badge).
 */
export async function openInbox(deps: Deps, userId: string): Promise<InboxEntry[]> {
  const now = deps.clock.now();
  const rows = await repo.recentNotices(deps.db, userId, inboxSince(now), INBOX_LIMIT);
  await repo.markSeen(
    deps.db,
    userId,
    rows.filter((r) => r.count > r.seenCount).map((r) => ({ noticeId: r.noticeId, count: r.count })),
    now.toISOString(),
  );
  return rows.map((r) => ({
    companyName: r.companyName,
    count: r.count,
    firstAt: r.firstAt,
    lastAt: r.lastAt,
    unseen: Math.max(0, r.count - r.seenCount),
    mail: r.sentAt === null ? 'pending' : r.recipients === 0 ? 'nobody' : 'sent',
  }));
}

function inboxSince(now: Date): string {
  return new Date(now.getTime() - INBOX_DAYS * 24 * 60 * 60_000).toISOString();
}

function staleBefore(now: Date): string {
  return new Date(now.getTime() - CLAIM_LEASE_MS).toISOString();
}

/**
 * Addresses as single plain mailboxes: a stored value such as "a@x, b@y" or
 * one with angle brackets or line breaks must not add recipients or headers.
 */
function usableAddresses(emails: readonly string[]): string[] {
  const ok = /^[^\s@,;:<>()"'\\[\]]+@[^\s@,;:<>()"'\\[\]]+$/;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of emails.map((x) => x.trim())) {
    const key = e.toLowerCase();
    if (ok.test(e) && !seen.has(key)) {
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}

/** What a log line may say about a failure: its kind and code, no payload. */
function errorSummary(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: unknown; responseCode?: unknown; command?: unknown; message?: string } | null;
  return {
    name: e?.name ?? typeof err,
    code: e?.code,
    responseCode: e?.responseCode,
    command: e?.command,
    message: typeof e?.message === 'string' ? e.message.slice(0, 200) : undefined,
  };
}
