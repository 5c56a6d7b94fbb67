import { destroyUserSessions } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { Conflict, NotFound } from '../http/errors.js';
import { createHolderCopy, removeHolderCopy } from '../keys/office-key.js';
import { randomId } from '../lib/random.js';
import { auditAs, type Acting } from './acting.js';
import { newInitialPassword, officeLoginUrl, type CredentialSheet } from './credential-sheet.js';
import { looksLikeId, type StaffForm } from './forms.js';
import * as repo from './repo.js';
import { unlockAccount } from './unlock.js';

/**
 * Office staff (事務取扱担当者) as the director manages them: create with a
 * printable initial-password sheet, revoke (sessions die, key copy deleted),
 * unlock a hard lock, designate or remove office-key holders. Only `staff`
 * rows are reachable here: the director's own account and other directors
 * answer 404, so nobody revokes or unlocks the director by accident.
 */
export class LoginIdTaken extends Conflict {
  constructor() {
    super('accounts.errors.loginIdTaken');
  }
}

export async function listOfficePeople(deps: Deps): Promise<repo.PersonRow[]> {
  return repo.listOfficePeople(deps.db);
}

export async function findStaff(deps: Deps, id: string): Promise<repo.PersonRow> {
  const person = looksLikeId(id) ? await repo.findPerson(deps.db, id) : null;
  if (!person || person.role !== 'staff') throw new NotFound();
  return person;
}

export async function createStaff(deps: Deps, acting: Acting, form: StaffForm): Promise<CredentialSheet> {
  if (await repo.loginIdTaken(deps.db, form.loginId)) throw new LoginIdTaken();
  const now = deps.clock.now();
  const initial = await newInitialPassword(now);
  const userId = randomId();
  await deps.db.transaction().execute(async (trx) => {
    // Checked again inside the transaction: two directors choosing the same ID at once.
    if (await repo.loginIdTaken(trx, form.loginId)) throw new LoginIdTaken();
    await repo.insertPerson(trx, {
      id: userId, role: 'staff', companyId: null, loginId: form.loginId, displayName: form.displayName, email: form.email,
      passwordHash: initial.hash, initialExpiresAt: initial.expiresAt, now,
    });
    await auditAs(trx, deps, acting, { action: 'staff.create', targetIds: [userId] });
  });
  return staffSheet(deps, { displayName: form.displayName, loginId: form.loginId }, initial.password, initial.expiresAt, 'issue', now);
}

/** New initial password + TOTP reset for a staff member (lost phone, forgotten password). */
export async function reissueStaff(deps: Deps, acting: Acting, id: string): Promise<CredentialSheet> {
  const person = await findStaff(deps, id);
  if (person.status !== 'active') throw new Conflict('accounts.errors.personRevoked');
  const now = deps.clock.now();
  const initial = await newInitialPassword(now);
  await deps.db.transaction().execute(async (trx) => {
    await repo.resetCredential(trx, person.id, initial.hash, initial.expiresAt, now);
    const ended = await destroyUserSessions(trx, person.id);
    await auditAs(trx, deps, acting, { action: 'credential.reissue', targetIds: [person.id], details: { role: 'staff', sessionsEnded: ended } });
  });
  return staffSheet(deps, person, initial.password, initial.expiresAt, 'reissue', now);
}

/**
 * Revocation (design §1 step 8): status revoked and every session deleted, so
 * the person is out at the next request. A key holder's copy of the office key
 * is deleted first (design §3: revoking a holder = deleting their copy); if
 * that is refused (the last copy), nothing is revoked and the reason is shown.
 */
export async function revokeStaff(deps: Deps, acting: Acting, id: string): Promise<void> {
  const person = await findStaff(deps, id);
  const now = deps.clock.now();
  if (person.keyHolder) {
    await removeHolderCopy(deps, { userId: person.id, byUserId: acting.userId, now, requestId: acting.requestId });
  }
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.setPersonStatus(trx, person.id, 'active', 'revoked', now))) return;
    const ended = await destroyUserSessions(trx, person.id);
    await auditAs(trx, deps, acting, { action: 'staff.revoke', targetIds: [person.id], details: { sessionsEnded: ended } });
  });
}

/** Lets a revoked staff member back in with their existing password (no key copy comes back). */
export async function enableStaff(deps: Deps, acting: Acting, id: string): Promise<void> {
  const person = await findStaff(deps, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.setPersonStatus(trx, person.id, 'revoked', 'active', now))) return;
    await auditAs(trx, deps, acting, { action: 'staff.enable', targetIds: [person.id] });
  });
}

/** Ends a lock (the hard lock after 20 failures waits for exactly this). */
export async function unlockStaff(deps: Deps, acting: Acting, id: string): Promise<void> {
  const person = await findStaff(deps, id);
  await unlockAccount(deps, acting, person, 'staff.unlock');
}

/**
 * Designates a key holder (design §3): the director's own key passphrase
 * unlocks their copy, kinko re-locks a copy for the staff member under a
 * one-time passphrase, returned here to be shown once and handed over in
 * person. The key module writes `key.holder.add` with the copy.
 */
export async function addKeyHolder(deps: Deps, acting: Acting, id: string, directorPassphrase: string): Promise<{ person: repo.PersonRow; oneTimePassphrase: string }> {
  const person = await findStaff(deps, id);
  if (person.status !== 'active') throw new Conflict('accounts.errors.personRevoked');
  const { oneTimePassphrase } = await createHolderCopy(deps, {
    byUserId: acting.userId, byPassphrase: directorPassphrase, forUserId: person.id, now: deps.clock.now(), requestId: acting.requestId,
  });
  return { person, oneTimePassphrase };
}

/** Deletes the staff member's copy; the key module writes `key.holder.remove` and refuses the last copy. */
export async function removeKeyHolder(deps: Deps, acting: Acting, id: string): Promise<void> {
  const person = await findStaff(deps, id);
  await removeHolderCopy(deps, { userId: person.id, byUserId: acting.userId, now: deps.clock.now(), requestId: acting.requestId });
}

async function staffSheet(
  deps: Deps,
  p: { displayName: string; loginId: string },
  password: string,
  expiresAt: Date,
  reason: CredentialSheet['reason'],
  now: Date,
): Promise<CredentialSheet> {
  return {
    audience: 'staff',
    reason,
    officeName: await repo.findOfficeName(deps.db),
    companyName: null,
    personName: p.displayName,
    url: officeLoginUrl(deps.config.publicUrl),
    loginId: p.loginId,
    password,
    expiresAt,
    issuedAt: now,
  };
}
