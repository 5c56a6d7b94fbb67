/**
 * The vault's page queries, for its own routes (routes.ts), and the vault's
 * internals re-exported for its tests and benches. Other domains do not
 * import this file: they use server/vault/index.ts, the vault's API
 * (.dependency-cruiser.cjs `vault-only-through-its-api`).
 */
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { keyHolderStatus } from '../keys/office-key.js';
import * as repo from './repo.js';
import { listActiveBlocks } from './reveal-limit-repo.js';
import { revealBlocked } from './reveal-limit.js';
import { closeWindow, windowExpiry } from './unlock-window.js';

export { openVaultSession, type NewPersonInput, type VaultSession } from './session.js';
export { RECORD_BYTES } from './record.js';
export { stopSealWorkers } from './seal-records.js';
export { deleteVaultObject, deleteVaultObjects, findOrphanVaultObjects, insertPersons, NumberInPersonRow } from './records.js';
export { revealNumber, type RevealInput, type RevealResult } from './reveal.js';
export { liftRevealBlock, revealBlocked } from './reveal-limit.js';
export { REVEAL_PURPOSES, PURPOSE_LABELS_JA, isRevealPurpose, type RevealPurpose } from './purposes.js';
export { UNLOCK_WINDOW_MS } from './unlock-window.js';
export { companyHoldings, type CompanyHolding } from './holdings.js';
export type { NewPersonRow, PersonRow, PersonDetail } from './repo.js';

export const PERSONS_PAGE_SIZE = 200;

/** A company's persons, one page; unknown company → 404. Never a number (there is none to show). */
export async function companyPersons(deps: Pick<Deps, 'db'>, companyId: string, opts: { q?: string; page?: number } = {}) {
  const company = companyId ? await repo.findCompany(deps.db, companyId) : null;
  if (!company) throw new NotFound();
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const q = (opts.q ?? '').trim().slice(0, 100);
  const { rows, total } = await repo.listPersons(deps.db, company.id, { q: q || undefined, offset: (page - 1) * PERSONS_PAGE_SIZE, limit: PERSONS_PAGE_SIZE });
  return { company, persons: rows, total, page, pages: Math.max(1, Math.ceil(total / PERSONS_PAGE_SIZE)), q };
}

export interface RevealReadiness {
  /** Why this person cannot reveal at all, as an i18n key; null when they can. */
  refusal: 'keys.errors.notHolder' | 'keys.errors.mustChange' | null;
  blocked: boolean;
  /** This session's unlock window closes at… (null: none open). */
  windowExpiresAt: Date | null;
}

/** One person with their employee or dependents, and what the reveal form should offer this actor. */
export async function personPage(deps: Pick<Deps, 'db' | 'clock'>, id: string, actor: Pick<Actor, 'userId' | 'sessionId'>) {
  const person = id ? await repo.findPersonDetail(deps.db, id) : null;
  if (!person) throw new NotFound();
  const [employee, dependents, holder, blocked] = await Promise.all([
    person.employee_person_id ? repo.findPerson(deps.db, person.employee_person_id) : Promise.resolve(null),
    repo.dependentsOf(deps.db, person.id),
    keyHolderStatus(deps.db, actor.userId),
    revealBlocked(deps.db, actor.userId),
  ]);
  const readiness: RevealReadiness = {
    refusal: !holder.holder ? 'keys.errors.notHolder' : holder.mustChange ? 'keys.errors.mustChange' : null,
    blocked,
    windowExpiresAt: holder.holder && !holder.mustChange ? windowExpiry(deps, actor, deps.clock.now()) : null,
  };
  return { person, employee, dependents, readiness };
}

/** The id of a person that exists (404 otherwise): ids from a path never reach a redirect unchecked. */
export async function existingPersonId(deps: Pick<Deps, 'db'>, id: string): Promise<string> {
  const person = id ? await repo.findPerson(deps.db, id) : null;
  if (!person) throw new NotFound();
  return person.id;
}

/** Locks this session's unlock window now. */
export function lockUnlockWindow(deps: object, actor: Pick<Actor, 'userId' | 'sessionId'>): boolean {
  return closeWindow(deps, actor);
}

export function listRevealBlocks(deps: Pick<Deps, 'db'>) {
  return listActiveBlocks(deps.db);
}
