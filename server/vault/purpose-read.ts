import type * as openpgp from 'openpgp';
import { type Acting, requestActing } from '../audit/acting.js';
import { record, type RecordedEvent } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { AppError } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { KeyPassphraseLocked, KeyPassphraseMustChange, NotKeyHolder, WrongKeyPassphrase } from '../keys/errors.js';
import { keyHolderStatus, unlockOfficeKey } from '../keys/office-key.js';
import { KeyPassphraseRequired, RevealBlocked, RevealNotRecorded, RevealPurposeRequired, VaultKeyDamaged, VaultRecordDamaged, VaultRecordDisposed } from './errors.js';
import { isRevealPurpose, PURPOSE_LABELS_JA, type RevealPurpose } from './purposes.js';
import { alertDirectors, countReveal, gate, noticeOfBlock, recordBlocked, type LimitDeps } from './reveal-limit.js';
import { borrowWindowKey, closeWindowsOf, forgetKey, openWindow, windowExpiry } from './unlock-window.js';

/**
 * The one sequence of refusals behind every purpose-bound read of numbers — a
 * reveal of one (reveal.ts) and a bulk read of many (bulk-read.ts) — so the two
 * cannot drift apart:
 *   a usable copy of the office key (403, audited) → a purpose from the
 *   statutory list (400) → every record still held → the hourly limit and any
 *   block (429, audited, directors alerted once) → the key passphrase or this
 *   session's open unlock window (400, wrong passphrases audited) → the records
 *   decrypt (500 "damaged", audited as an incident) → ONE audit entry, written in
 *   the transaction that counts the read as one reveal. Only after that commit
 *   is the result returned: if the entry cannot be written, nobody sees a number.
 */
export type RevealDeps = LimitDeps & Pick<Deps, 'storage'>;

/** Who reads, and how they unlock the office key. */
export interface PurposeReader {
  actor: Pick<Actor, 'userId' | 'role'> & { sessionId?: string };
  /** The key passphrase; may be empty when this session has an open unlock window. */
  passphrase?: string | null;
  requestId?: string | null;
}

/** What every entry of one read names: the company and persons read, and the purpose. */
export interface ReadSubject {
  acting: Acting;
  event: Pick<RecordedEvent, 'companyId' | 'targetIds' | 'purpose'>;
}

export interface PurposeRead<T> {
  reader: PurposeReader;
  companyId: string;
  targetIds: string[];
  purpose: string;
  /** Every record of the read is still held (else "disposed"). */
  allHeld: boolean;
  /** Decrypts the records with the unlocked office key. */
  read: (key: openpgp.PrivateKey) => Promise<T>;
  /** Drops a result that will not be returned (numbers never outlive a refusal). */
  forget?: () => void;
  /** The entry that records the read; what its damage entry says; the marks its not-recorded entry carries. */
  action: string;
  details: (purpose: RevealPurpose, window: boolean) => NonNullable<RecordedEvent['details']>;
  damagedDetails: (kind: string) => NonNullable<RecordedEvent['details']>;
  failureMarks: NonNullable<RecordedEvent['details']>;
  log: { fields: Record<string, unknown>; damaged: string; notRecorded: string; errorName?: boolean };
}

export async function purposeBoundRead<T>(deps: RevealDeps, r: PurposeRead<T>): Promise<{ result: T; purpose: RevealPurpose; windowExpiresAt: Date | null }> {
  const { actor } = r.reader;
  const purpose = isRevealPurpose(r.purpose) ? r.purpose : null;
  const subject = readSubject(deps, r.reader, { companyId: r.companyId, targetIds: r.targetIds, purpose: purpose ? PURPOSE_LABELS_JA[purpose] : null });

  await refuseUnlessHolder(deps, subject);
  if (!purpose) throw new RevealPurposeRequired();
  if (!r.allHeld) throw new VaultRecordDisposed();
  await refuseIfBlocked(deps, subject);

  const { key, done, windowExpiresAt } = await officeKeyFor(deps, r.reader, subject);
  let result: T;
  try {
    result = await r.read(key);
  } catch (err) {
    r.forget?.();
    if (err instanceof VaultRecordDamaged || err instanceof VaultKeyDamaged) {
      // Tampering or storage damage: an incident for the director, not a user error.
      deps.logger.error({ ...r.log.fields, kind: err.name }, r.log.damaged);
      await auditQuietly(deps, subject, { action: 'vault.record.damaged', result: 'failed', details: r.damagedDetails(err.name) });
    }
    throw err;
  } finally {
    done();
  }

  const now = deps.clock.now();
  const outcome = await deps.db
    .transaction()
    .execute(async (trx) => {
      if ((await gate(trx, actor.userId, now, deps.config.limits.reveal.perHour)) !== 'ok') return 'over-limit' as const; // another reveal got in first; nothing written
      await countReveal(trx, actor.userId, now);
      await record(trx, subject.acting, { ...subject.event, at: now, action: r.action, result: 'ok', details: r.details(purpose, windowExpiresAt !== null) });
      return 'recorded' as const;
    })
    .catch(async (err: unknown) => {
      r.forget?.();
      deps.logger.error(r.log.errorName ? { ...r.log.fields, err: err instanceof Error ? err.name : 'error' } : r.log.fields, r.log.notRecorded);
      await auditQuietly(deps, subject, { action: 'vault.reveal.denied', result: 'denied', details: { reason: 'auditFailed', ...r.failureMarks } });
      throw new RevealNotRecorded();
    });
  if (outcome === 'over-limit') {
    r.forget?.();
    await refuseIfBlocked(deps, subject);
    throw new RevealBlocked('none'); // not reached: the gate above refuses
  }
  return { result, purpose, windowExpiresAt };
}

function readSubject(deps: RevealDeps, reader: PurposeReader, event: ReadSubject['event']): ReadSubject {
  const acting = requestActing(auditContext(deps), { userId: reader.actor.userId, role: reader.actor.role, requestId: reader.requestId ?? null });
  return { acting, event };
}

/** Only a holder of a usable copy of the office key reads (audited refusal). */
async function refuseUnlessHolder(deps: RevealDeps, subject: ReadSubject): Promise<void> {
  const userId = subject.acting.userId!;
  const holder = await keyHolderStatus(deps.db, userId);
  if (holder.holder && !holder.mustChange) return;
  closeWindowsOf(deps, userId); // a copy removed since the window opened ends it
  await auditQuietly(deps, subject, { action: 'vault.reveal.denied', result: 'denied', details: { reason: holder.holder ? 'mustChange' : 'notKeyHolder' } });
  throw holder.holder ? new KeyPassphraseMustChange() : new NotKeyHolder();
}

/** The limit gate on its own: records and refuses a blocked attempt, alerting the directors once. */
async function refuseIfBlocked(deps: RevealDeps, subject: ReadSubject): Promise<void> {
  const userId = subject.acting.userId!;
  const refused = await deps.db
    .transaction()
    .execute(async (trx) => {
      const g = await gate(trx, userId, deps.clock.now(), deps.config.limits.reveal.perHour);
      if (g === 'ok') return null;
      return recordBlocked(trx, deps, g, subject.acting, subject.event);
    })
    .catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      deps.logger.error({ userId, err: err instanceof Error ? err.name : 'error' }, 'reveal refused: the limit check could not be recorded');
      throw new RevealNotRecorded();
    });
  if (!refused) return;
  // The staff member is told exactly who knows: the console always; mail only if the mailer took it.
  const notice = refused.alertId
    ? await alertDirectors(deps, userId, refused.alertId, subject.acting.requestId)
    : await noticeOfBlock(deps.db, userId, refused.blockedAt).catch(() => 'none' as const);
  throw new RevealBlocked(notice);
}

/**
 * The unlocked office key for this read: from the passphrase (which also
 * opens this session's window), or borrowed from the window already open.
 * `done` releases it; a key unlocked for this read alone is zeroed then.
 */
async function officeKeyFor(
  deps: RevealDeps,
  reader: PurposeReader,
  subject: ReadSubject,
): Promise<{ key: openpgp.PrivateKey; done: () => void; windowExpiresAt: Date | null }> {
  const who = { userId: reader.actor.userId, sessionId: reader.actor.sessionId };
  const now = deps.clock.now();
  if (typeof reader.passphrase === 'string' && reader.passphrase.length > 0) {
    let key: openpgp.PrivateKey;
    try {
      key = await unlockOfficeKey(deps, reader.actor.userId, reader.passphrase, { form: 'reveal', requestId: reader.requestId });
    } catch (err) {
      if (err instanceof WrongKeyPassphrase) {
        const reason = err instanceof KeyPassphraseLocked ? 'passphraseLocked' : 'wrongPassphrase';
        await auditQuietly(deps, subject, { action: 'vault.reveal.denied', result: 'denied', details: { reason } });
      }
      throw err;
    }
    const windowExpiresAt = openWindow(deps, who, key, now);
    if (!windowExpiresAt) return { key, done: () => forgetKey(key), windowExpiresAt };
    const borrowed = borrowWindowKey(deps, who, now)!;
    return { key: borrowed.key, done: borrowed.release, windowExpiresAt };
  }
  const borrowed = borrowWindowKey(deps, who, now);
  if (!borrowed) throw new KeyPassphraseRequired();
  return { key: borrowed.key, done: borrowed.release, windowExpiresAt: windowExpiry(deps, who, now) };
}

/** An audit entry for a refusal or failure, in its own transaction; a failure to write it is logged, not thrown. */
async function auditQuietly(deps: RevealDeps, subject: ReadSubject, event: Omit<RecordedEvent, 'companyId' | 'targetIds' | 'purpose'>): Promise<void> {
  try {
    await deps.db.transaction().execute((trx) => record(trx, subject.acting, { ...subject.event, ...event }));
  } catch (err) {
    deps.logger.error({ action: event.action, err: err instanceof Error ? err.name : 'error' }, 'audit entry for a refused reveal could not be written');
  }
}
