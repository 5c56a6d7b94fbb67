import { type Acting, requestActing } from '../audit/acting.js';
import { record, type RecordedEvent } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../http/errors.js';
import { randomId } from '../lib/random.js';
import { directorAlertAbout, mailDirectorAlert, raiseDirectorAlert } from '../notify/director-alerts.js';
import { blockAlertEmail } from './alert-email.js';
import * as repo from './reveal-limit-repo.js';

/**
 * The reveal limit (security.md Limits: "> 50 reveals per hour per staff
 * member → blocked and the director alerted").
 *
 * Threat: a staff account — an insider, or a session someone took over —
 * reading numbers in bulk. Each successful reveal is a row in reveal_events;
 * the count is over a rolling hour, per person, whatever their role. The
 * reveal after the 50th is refused and starts a block that does NOT end by
 * itself when the hour passes: a director looks and lifts it. Each block
 * raises one director alert (claimed atomically, so two refused attempts at
 * the same moment raise one): always on the director's console, and by
 * e-mail too when a director has an address. After a lift, only reveals made after it count.
 */
export const REVEAL_WINDOW_MS = 60 * 60_000;

export type LimitDeps = Pick<Deps, 'db' | 'clock' | 'secrets' | 'mailer' | 'logger' | 'config' | 'i18n'>;

export type Gate = 'ok' | 'blocked' | 'newly-blocked';

/** Inside a transaction: may this person reveal one more now? Starts the block when the limit is passed. */
export async function gate(trx: repo.Db, userId: string, now: Date, perHour: number): Promise<Gate> {
  await repo.lockUser(trx, userId);
  const block = await repo.findBlock(trx, userId);
  if (block && !block.liftedAt) return 'blocked';
  const windowStart = new Date(now.getTime() - REVEAL_WINDOW_MS).toISOString();
  const since = block?.liftedAt && block.liftedAt > windowStart ? block.liftedAt : windowStart;
  const count = await repo.countRevealsSince(trx, userId, since);
  if (count < perHour) return 'ok';
  await repo.startBlock(trx, userId, now.toISOString());
  return 'newly-blocked';
}

/** Inside the reveal's transaction: counts this reveal (and forgets events no window can count). */
export async function countReveal(trx: repo.Db, userId: string, now: Date): Promise<void> {
  await repo.insertRevealEvent(trx, { id: randomId(), userId, at: now.toISOString() });
  await repo.pruneRevealEvents(trx, userId, new Date(now.getTime() - REVEAL_WINDOW_MS).toISOString());
}

export interface Blocked {
  /** This refusal started the block and raised its director alert (id): the caller mails it after commit. */
  alertId: string | null;
  /** When the block began: later refusals look up the alert raised since then. */
  blockedAt: string;
}

/**
 * Records a refused reveal (audit `vault.reveal.blocked`) in the gate's
 * transaction. The refusal that claims the block's one alert also raises it on
 * the director's console, in this same transaction: the alert exists exactly
 * when the block does, whether or not any e-mail can be sent.
 */
export async function recordBlocked(
  trx: repo.Db,
  deps: LimitDeps,
  g: Exclude<Gate, 'ok'>,
  acting: Acting,
  event: Omit<RecordedEvent, 'action' | 'result'>,
): Promise<Blocked> {
  const now = deps.clock.now();
  const userId = acting.userId ?? '';
  await record(trx, acting, {
    ...event,
    at: now,
    action: 'vault.reveal.blocked',
    result: 'denied',
    details: { ...(event.details ?? {}), limitPerHour: deps.config.limits.reveal.perHour, newBlock: g === 'newly-blocked' },
  });
  const claimed = await repo.claimAlert(trx, userId, now.toISOString());
  const alertId = claimed ? await raiseDirectorAlert(trx, { kind: REVEAL_BLOCK_ALERT, aboutUserId: userId, now }) : null;
  const block = await repo.findBlock(trx, userId);
  return { alertId, blockedAt: block?.blockedAt ?? now.toISOString() };
}

/** The director-alert kind of a reveal block (notify/director-alerts.ts). */
export const REVEAL_BLOCK_ALERT = 'reveal-block';

/** What the staff member may be told about who knows (vault.blockAlert.*): only what really happened. */
export type BlockNotice = 'consoleAndMail' | 'console' | 'none';

/**
 * E-mails the active directors about the alert already on their console, and
 * records what happened (audit `vault.reveal.alert`). Never throws: the
 * refusal stands whether or not the mail went out.
 */
export async function alertDirectors(deps: LimitDeps, userId: string, alertId: string, requestId: string | null): Promise<BlockNotice> {
  const now = deps.clock.now();
  const mail = await mailDirectorAlert(deps, alertId, async (to) => {
    const user = await repo.findOfficeUser(deps.db, userId);
    const i18n = deps.i18n;
    return blockAlertEmail(
      to,
      { staffName: user?.displayName ?? '', loginId: user?.loginId ?? '', limit: deps.config.limits.reveal.perHour, at: now, url: `${deps.config.publicUrl}/office/reveal-blocks` },
      { ja: i18n.getFixedT('ja'), en: i18n.getFixedT('en') },
    );
  });
  try {
    await deps.db.transaction().execute((trx) =>
      // kinko itself sends the alert, on the refused request.
      record(trx, requestActing({ key: deps.secrets.audit, now: () => now }, { requestId }), {
        action: 'vault.reveal.alert',
        targetIds: [userId, alertId],
        result: mail.state === 'failed' ? 'failed' : 'ok',
        details: { recipients: mail.recipients, console: true, mail: mail.state },
      }),
    );
  } catch (err) {
    deps.logger.error({ userId, err: err instanceof Error ? err.name : 'error' }, 'reveal block: the alert could not be audited');
  }
  return mail.state === 'sent' ? 'consoleAndMail' : 'console';
}

/** For a refusal of a block already in place: what became of that block's alert. */
export async function noticeOfBlock(db: repo.Db, userId: string, blockedAt: string): Promise<BlockNotice> {
  const alert = await directorAlertAbout(db, REVEAL_BLOCK_ALERT, userId, blockedAt);
  if (!alert) return 'none';
  return alert.mailState === 'sent' ? 'consoleAndMail' : 'console';
}

export interface LiftInput {
  /** Whose block. */
  userId: string;
  /** The director lifting it. */
  by: string;
  requestId?: string | null;
}

/**
 * A director lifts a person's reveal block (audit `vault.reveal.unblock`).
 * Unknown or non-office people answer 404; a person who is not blocked is left
 * as is ({ lifted: false }). A director may lift their own block — otherwise an
 * office with one director could never reveal again — and the trail shows it.
 */
export async function liftRevealBlock(deps: Pick<Deps, 'db' | 'clock' | 'secrets'>, input: LiftInput): Promise<{ lifted: boolean }> {
  const by = await repo.findOfficeUser(deps.db, input.by);
  if (!by || by.role !== 'director' || by.status !== 'active') throw new Forbidden();
  const target = typeof input.userId === 'string' && input.userId ? await repo.findOfficeUser(deps.db, input.userId) : null;
  if (!target || (target.role !== 'staff' && target.role !== 'director')) throw new NotFound();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await repo.liftBlock(trx, target.id, by.id, now.toISOString()))) return { lifted: false };
    const acting = requestActing({ key: deps.secrets.audit, now: () => now }, { userId: by.id, role: by.role, requestId: input.requestId ?? null });
    await record(trx, acting, { action: 'vault.reveal.unblock', targetIds: [target.id], details: { self: by.id === target.id } });
    return { lifted: true };
  });
}

/** Whether the person's reveals are blocked now (for pages). */
export async function revealBlocked(db: repo.Db, userId: string): Promise<boolean> {
  const b = await repo.findBlock(db, userId);
  return !!b && !b.liftedAt;
}
