/**
 * The custody vault as other domains see it (design §3, P2–P5): the one file
 * outside server/vault/ may import (.dependency-cruiser.cjs
 * `vault-only-through-its-api`). Record size, sealing, the storage adapter's
 * kind, key rows and tables stay behind it.
 *
 * Take custody (ingest):
 *   openVaultSession(deps, { companyId, officeKey, cohort: ingestCohort(now) }) → VaultSession
 *   session.takeCustody(candidates) → Custody: .stage(persons) · .commit(trx) · .abandon()   (custody.ts)
 *   sweepOrphanRecords(deps, { olderThanMs })   records a crash left without a row (P9)
 * Look up (ingest's plan): session.indexOf · prepareIndexes · findByNumber ·
 *   findByIndexes (blind index) · findByEmployeeCodes · findByEmployee
 * Give out, for a statutory purpose, audited:
 *   revealNumber(deps, { personId, actor, passphrase, purpose })          one number (reveal.ts)
 *   readNumbersForPurpose(deps, { companyId, personIds, actor, … })       many at once (bulk-read.ts)
 * Let go: eraseCohort(deps, { companyId, cohort, actor })                 crypto-erase (erase.ts)
 *   a disposal batch (dispose-persons.ts): reserveForDisposal · keysOnlyFor ·
 *   destroyDataKeys · attemptDecrypt · markDisposed · checkpointAfterDisposal
 *   resealPersons(deps, { companyId, moves, officeKey, actor })   into their disposal cohort (reseal.ts)
 *   purgeRetiredRecords(deps, companyId?)   the records a reseal replaced, every version, verified
 * Lifecycle: stopSealWorkers() at shutdown.
 */
import type * as openpgp from 'openpgp';
import { openVaultSession as openSession, type VaultDeps, type VaultSession as SessionInternals } from './session.js';

/** A vault session as other domains use it: lookups and custody; sealing and writing stay inside. */
export type VaultSession = Omit<SessionInternals, 'sealRecord' | 'sealMany' | 'writeRecord' | 'writeRecords' | 'personRow' | 'personRows'>;

export function openVaultSession(deps: VaultDeps, opts: { companyId: string; officeKey: openpgp.PrivateKey; cohort: string }): Promise<VaultSession> {
  return openSession(deps, opts);
}

/**
 * The retention cohort new records join: one per calendar year of ingest
 * (e.g. "2025"). Once a person's retention end is known, the retention flow
 * moves them (resealPersons) into the cohort of their disposal month
 * (retention/reseal.ts names those cohorts), so that one key's destruction
 * erases exactly the people due together (design §3).
 */
export function ingestCohort(now: Date): string {
  return String(now.getUTCFullYear());
}

export type { Custody, CustodyCandidate, CustodyPerson } from './custody.js';
export { NumberInPersonRow } from './person-guard.js';
export { sweepOrphanRecords } from './records.js';
export { stopSealWorkers } from './seal-records.js';
export { revealNumber, type RevealInput, type RevealResult } from './reveal.js';
export { readNumbersForPurpose, type BulkReadInput, type BulkReadResult } from './bulk-read.js';
export { eraseCohort, type EraseInput, type EraseResult } from './erase.js';
export { purgeRetiredRecords, resealPersons, type ResealInput, type ResealMove, type ResealResult } from './reseal.js';
export { attemptDecrypt, checkpointAfterDisposal, destroyDataKeys, keysOnlyFor, markDisposed, reserveForDisposal, type PersonToDispose } from './dispose-persons.js';
export { REVEAL_PURPOSES, isRevealPurpose, type RevealPurpose } from './purposes.js';
export type { PersonRow } from './repo.js';
