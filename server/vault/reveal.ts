import type { Readable } from 'node:stream';
import type * as openpgp from 'openpgp';
import { appendAudit, type AuditEvent, auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { AppError, NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { KeyPassphraseLocked, KeyPassphraseMustChange, NotKeyHolder, WrongKeyPassphrase } from '../keys/errors.js';
import { keyHolderStatus, unlockOfficeKey } from '../keys/office-key.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { decryptRecord, RECORD_BYTES, unwrapKey } from './crypto.js';
import {
  KeyPassphraseRequired,
  RevealBlocked,
  RevealNotRecorded,
  RevealPurposeRequired,
  VaultKeyDamaged,
  VaultRecordDamaged,
  VaultRecordDisposed,
} from './errors.js';
import { isRevealPurpose, PURPOSE_LABELS_JA, type RevealPurpose } from './purposes.js';
import * as repo from './repo.js';
import { alertDirectors, countReveal, gate, noticeOfBlock, recordBlocked, type LimitDeps } from './reveal-limit.js';
import { borrowWindowKey, closeWindowsOf, forgetKey, openWindow, windowExpiry } from './unlock-window.js';

/**
 * A purpose-bound reveal (design §1 step 5, issue 5 deliverable 6).
 *
 * In order, each step refusing with a plain reason:
 *   the person exists (404) → the actor holds a usable copy of the office key
 *   (403, audited) → a purpose from the statutory list (400) → the hourly limit
 *   and any block (429, audited, directors alerted once) → the key passphrase,
 *   or this session's open unlock window (400, wrong passphrases audited) →
 *   the record decrypts (500 "damaged", audited as an incident) → ONE audit
 *   entry `vault.reveal` with the purpose, person id and token, written in the
 *   same transaction that counts the reveal. Only after that commit is the
 *   number returned: if the entry cannot be written, nobody sees the number
 *   (security.md AUDIT: "sensitive operations are refused when the audit
 *   record cannot be written").
 *
 * The number is in memory for the length of this call and the page that
 * shows it: never in an error, a log line, the audit trail or a URL (P3, P6).
 */
export type RevealDeps = LimitDeps & Pick<Deps, 'storage'>;

export interface RevealInput {
  personId: string;
  actor: Pick<Actor, 'userId' | 'role'> & { sessionId?: string };
  /** The key passphrase; may be empty when this session has an open unlock window. */
  passphrase?: string | null;
  purpose: string;
  requestId?: string | null;
}

export interface RevealResult {
  number: string;
  person: repo.PersonDetail;
  purpose: RevealPurpose;
  /** When this session's unlock window closes (null: the key was unlocked for this reveal only). */
  windowExpiresAt: Date | null;
}

export async function revealNumber(deps: RevealDeps, input: RevealInput): Promise<RevealResult> {
  const { actor } = input;
  const requestId = input.requestId ?? null;
  const person = typeof input.personId === 'string' && input.personId ? await repo.findPersonDetail(deps.db, input.personId) : null;
  if (!person || (actor.role !== 'staff' && actor.role !== 'director')) throw new NotFound();
  const purpose = isRevealPurpose(input.purpose) ? input.purpose : null;
  const base: Omit<AuditEvent, 'action'> = {
    actorId: actor.userId,
    actorRole: actor.role,
    companyId: person.company_id,
    targetIds: [person.id],
    purpose: purpose ? PURPOSE_LABELS_JA[purpose] : null,
    requestId,
  };

  await refuseUnlessHolder(deps, base);
  if (!purpose) throw new RevealPurposeRequired();
  if (person.state !== 'held') throw new VaultRecordDisposed();

  await refuseIfBlocked(deps, base);

  const { key, done, windowExpiresAt } = await officeKeyFor(deps, input, base);
  let number: string;
  try {
    number = await readNumber(deps, person, key);
  } catch (err) {
    if (err instanceof VaultRecordDamaged || err instanceof VaultKeyDamaged) {
      // Tampering or storage damage: an incident for the director, not a user error.
      deps.logger.error({ personId: person.id, requestId, kind: err.name }, 'vault record could not be decrypted');
      await auditQuietly(deps, { ...base, action: 'vault.record.damaged', result: 'failed', details: { token: person.token, kind: err.name } });
    }
    throw err;
  } finally {
    done();
  }

  const now = deps.clock.now();
  const outcome = await deps.db
    .transaction()
    .execute(async (trx) => {
      const g = await gate(trx, actor.userId, now);
      if (g !== 'ok') return 'over-limit' as const; // another reveal got in first; nothing written
      await countReveal(trx, actor.userId, now);
      await appendAudit(trx, { key: deps.secrets.audit, now: () => now }, {
        ...base,
        action: 'vault.reveal',
        result: 'ok',
        details: { token: person.token, purposeKey: purpose, window: windowExpiresAt !== null },
      });
      return 'recorded' as const;
    })
    .catch(async (err: unknown) => {
      deps.logger.error({ personId: person.id, requestId, err: err instanceof Error ? err.name : 'error' }, 'reveal refused: its audit entry could not be written');
      await auditQuietly(deps, { ...base, action: 'vault.reveal.denied', result: 'denied', details: { reason: 'auditFailed' } });
      throw new RevealNotRecorded();
    });
  if (outcome === 'over-limit') {
    await refuseIfBlocked(deps, base);
    throw new RevealBlocked('none'); // not reached: the gate above refuses
  }
  return { number, person, purpose, windowExpiresAt };
}

/** Only a holder of a usable copy of the office key reveals (audited refusal). (Also bulk-read.ts.) */
export async function refuseUnlessHolder(deps: RevealDeps, base: Omit<AuditEvent, 'action'>): Promise<void> {
  const userId = base.actorId!;
  const holder = await keyHolderStatus(deps.db, userId);
  if (holder.holder && !holder.mustChange) return;
  closeWindowsOf(deps, userId); // a copy removed since the window opened ends it
  await auditQuietly(deps, { ...base, action: 'vault.reveal.denied', result: 'denied', details: { reason: holder.holder ? 'mustChange' : 'notKeyHolder' } });
  throw holder.holder ? new KeyPassphraseMustChange() : new NotKeyHolder();
}

/** The limit gate on its own: records and refuses a blocked attempt, alerting the directors once. (Also bulk-read.ts.) */
export async function refuseIfBlocked(deps: RevealDeps, base: Omit<AuditEvent, 'action'>): Promise<void> {
  const userId = base.actorId!;
  const refused = await deps.db
    .transaction()
    .execute(async (trx) => {
      const g = await gate(trx, userId, deps.clock.now());
      if (g === 'ok') return null;
      return recordBlocked(trx, deps, g, base);
    })
    .catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      deps.logger.error({ userId, err: err instanceof Error ? err.name : 'error' }, 'reveal refused: the limit check could not be recorded');
      throw new RevealNotRecorded();
    });
  if (!refused) return;
  // The staff member is told exactly who knows: the console always; mail only if the mailer took it.
  const notice = refused.alertId
    ? await alertDirectors(deps, userId, refused.alertId, base.requestId ?? null)
    : await noticeOfBlock(deps.db, userId, refused.blockedAt).catch(() => 'none' as const);
  throw new RevealBlocked(notice);
}

/**
 * The unlocked office key for this reveal: from the passphrase (which also
 * opens this session's window), or borrowed from the window already open.
 * `done` releases it; a key unlocked for this reveal alone is zeroed then.
 */
export async function officeKeyFor(
  deps: RevealDeps,
  input: Pick<RevealInput, 'actor' | 'passphrase' | 'requestId'>,
  base: Omit<AuditEvent, 'action'>,
): Promise<{ key: openpgp.PrivateKey; done: () => void; windowExpiresAt: Date | null }> {
  const who = { userId: input.actor.userId, sessionId: input.actor.sessionId };
  const now = deps.clock.now();
  if (typeof input.passphrase === 'string' && input.passphrase.length > 0) {
    let key: openpgp.PrivateKey;
    try {
      key = await unlockOfficeKey(deps, input.actor.userId, input.passphrase, { form: 'reveal', requestId: input.requestId });
    } catch (err) {
      if (err instanceof WrongKeyPassphrase) {
        const reason = err instanceof KeyPassphraseLocked ? 'passphraseLocked' : 'wrongPassphrase';
        await auditQuietly(deps, { ...base, action: 'vault.reveal.denied', result: 'denied', details: { reason } });
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

/** Data key → vault object → number. Every failure on the way is "damaged" (or "disposed"). */
async function readNumber(deps: RevealDeps, person: repo.PersonRow, officeKey: openpgp.PrivateKey): Promise<string> {
  const dk = await repo.findDataKey(deps.db, person.data_key_id);
  if (!dk || dk.destroyedAt || !dk.wrapped) throw new VaultRecordDisposed();
  const bytes = await readRecord(deps, person.token);
  const raw = await unwrapKey(dk.wrapped, officeKey);
  try {
    return decryptRecord(raw, person.token, bytes);
  } finally {
    raw.fill(0);
  }
}

/** The object's bytes, reading at most one byte more than a record has (a swollen object is damage too). */
export async function readRecord(deps: Pick<Deps, 'storage'>, token: string): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = await deps.storage.vault.get(token);
  } catch (err) {
    if (err instanceof StorageNotFoundError) throw new VaultRecordDamaged();
    throw err;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size > RECORD_BYTES) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/** An audit entry for a refusal or failure, in its own transaction; a failure to write it is logged, not thrown. */
export async function auditQuietly(deps: RevealDeps, event: AuditEvent): Promise<void> {
  try {
    await deps.db.transaction().execute((trx) => appendAudit(trx, auditContext(deps), event));
  } catch (err) {
    deps.logger.error({ action: event.action, err: err instanceof Error ? err.name : 'error' }, 'audit entry for a refused reveal could not be written');
  }
}
