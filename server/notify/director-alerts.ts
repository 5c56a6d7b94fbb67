import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { findUserById } from '../auth/repo.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../http/errors.js';
import { randomId } from '../lib/random.js';
import { plainAddresses } from '../mail/address.js';
import type { MailMessage } from '../mail/mailer.js';
import type { DirectorAlertMailState } from '../db/tables/director-alerts.js';
import * as repo from './director-alerts-repo.js';

/**
 * Director alerts: something a director must know about (a staff member's
 * reveals blocked, a key-passphrase lockout, …), shown on the director's
 * console ALWAYS — persisted in the database, listed on /office and
 * /office/drops (the drops list, which holds the new arrivals) until a director marks it seen — and e-mailed as well when a
 * director has an address. An alert that exists only as an e-mail reaches
 * nobody in an office whose director has no address, and whoever triggered it
 * would be told a director was told when none was.
 *
 * Use, from any domain:
 *   1. `raiseDirectorAlert(trx, { kind, aboutUserId, now })` inside the
 *      transaction that records the event, so the alert exists exactly when
 *      the event does;
 *   2. after commit, `mailDirectorAlert(deps, id, (to) => message)`, which
 *      never throws and says what became of the mail ('sent' only when the
 *      mailer accepted it);
 *   3. tell the person only what happened: the console notice always, the
 *      mail only if the outcome is 'sent'.
 * A new kind adds its console text under `directorAlerts.kinds.<kind>`.
 */
export type AlertDeps = Pick<Deps, 'db' | 'clock' | 'secrets' | 'mailer' | 'logger'>;

export interface RaiseInput {
  /** What happened, e.g. 'reveal-block'. */
  kind: string;
  /** Whom it is about (an office member), or null. */
  aboutUserId: string | null;
  now: Date;
}

/** Records the alert in the caller's transaction; returns its id. */
export async function raiseDirectorAlert(trx: repo.Db, input: RaiseInput): Promise<string> {
  const id = randomId();
  await repo.insertAlert(trx, { id, kind: input.kind, aboutUserId: input.aboutUserId, at: input.now.toISOString() });
  return id;
}

/** randomId() output: anything else is not an alert of ours. */
const ALERT_ID = /^[A-Za-z0-9_-]{16,64}$/;

export interface MailOutcome {
  state: Exclude<DirectorAlertMailState, 'pending'>;
  recipients: number;
}

/**
 * E-mails the active directors about an alert already raised, and records the
 * outcome on it. Never throws: the alert stands on the console either way.
 */
export async function mailDirectorAlert(deps: AlertDeps, alertId: string, compose: (to: string[]) => MailMessage | Promise<MailMessage>): Promise<MailOutcome> {
  let outcome: MailOutcome;
  try {
    const to = plainAddresses(await repo.directorAddresses(deps.db));
    if (to.length === 0) {
      deps.logger.warn({ alertId }, 'director alert: no active director has an email address; shown on the console only');
      outcome = { state: 'nobody', recipients: 0 };
    } else {
      await deps.mailer.send(await compose(to));
      outcome = { state: 'sent', recipients: to.length };
    }
  } catch (err) {
    deps.logger.error({ alertId, err: err instanceof Error ? err.name : 'error' }, 'director alert: the e-mail could not be sent; shown on the console only');
    outcome = { state: 'failed', recipients: 0 };
  }
  await repo.setMailState(deps.db, alertId, outcome.state, outcome.recipients).catch((err: unknown) => {
    deps.logger.error({ alertId, err: err instanceof Error ? err.name : 'error' }, 'director alert: the mail outcome could not be recorded');
  });
  return outcome;
}

export type { AlertRow as DirectorAlert } from './director-alerts-repo.js';

/** The alerts on the director's console: not yet marked seen, newest first. */
export function openDirectorAlerts(db: repo.Db, limit = 20): Promise<repo.AlertRow[]> {
  return repo.openAlerts(db, limit);
}

/** The newest alert of `kind` about a person since `since` (e.g. since a block started), or null. */
export function directorAlertAbout(db: repo.Db, kind: string, aboutUserId: string, since: string) {
  return repo.latestAbout(db, kind, aboutUserId, since);
}

/** The alerts of these kinds of the last days, seen or not, with their mail state (e.g. /office/key-locks). */
export function recentDirectorAlerts(db: repo.Db, kinds: readonly string[], since: string, limit = 100) {
  return repo.recentOfKinds(db, kinds, since, limit);
}

/**
 * Inside the caller's transaction: the open alerts of these kinds about a
 * person count as seen (e.g. a director lifted the lock they announced).
 */
export function acknowledgeDirectorAlertsAbout(trx: repo.Db, input: { kinds: readonly string[]; aboutUserId: string; by: string; now: Date }): Promise<number> {
  return repo.acknowledgeAbout(trx, input.kinds, input.aboutUserId, input.by, input.now.toISOString());
}

/** A director marks an alert seen (audit `director.alert.ack`). An unknown id is 404; an already-seen alert changes nothing. */
export async function acknowledgeDirectorAlert(
  deps: Pick<Deps, 'db' | 'clock' | 'secrets'>,
  input: { alertId: string; by: string; requestId?: string | null },
): Promise<{ acknowledged: boolean }> {
  const by = await findUserById(deps.db, input.by);
  if (!by || by.role !== 'director' || by.status !== 'active') throw new Forbidden();
  if (!ALERT_ID.test(input.alertId)) throw new NotFound();
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await repo.acknowledge(trx, input.alertId, by.id, now.toISOString()))) {
      if (!(await repo.exists(trx, input.alertId))) throw new NotFound();
      return { acknowledged: false };
    }
    const acting = requestActing({ key: deps.secrets.audit, now: () => now }, { userId: by.id, role: 'director', requestId: input.requestId ?? null });
    await record(trx, acting, { action: 'director.alert.ack', targetIds: [input.alertId] });
    return { acknowledged: true };
  });
}
