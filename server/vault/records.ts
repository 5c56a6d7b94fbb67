import type { Deps } from '../deps.js';
import { isToken } from './crypto.js';
import * as repo from './repo.js';

/**
 * Persons rows and vault objects as the ingest's commit and the
 * reconciliation after a crash need them.
 */

export { NumberInPersonRow } from './person-guard.js';

/**
 * Inserts prepared rows (VaultSession.personRow) inside the caller's
 * transaction: employees before their dependents, and refused as a whole if
 * a text field holds something that looks like a My Number (person-guard.ts, P3).
 */
export async function insertPersons(trx: repo.Db, rows: readonly repo.NewPersonRow[]): Promise<void> {
  await repo.insertPersonRows(trx, rows);
}

const ORPHAN_BATCH = 500;

/**
 * Vault objects that no persons row references and that are older than
 * `olderThanMs` (so a record written by an ingest still running, before its
 * commit, is not taken for an orphan). For reconciliation after a crash
 * between the vault write and the database commit (P9).
 */
export async function* findOrphanVaultObjects(deps: Pick<Deps, 'db' | 'clock' | 'storage'>, opts: { olderThanMs: number }): AsyncGenerator<string> {
  const cutoff = deps.clock.now().getTime() - Math.max(0, opts.olderThanMs);
  let batch: string[] = [];
  const flush = async function* () {
    const known = await repo.referencedTokens(deps.db, batch);
    const orphans = batch.filter((k) => !known.has(k));
    batch = [];
    yield* orphans;
  };
  for await (const obj of deps.storage.vault.list('')) {
    // Only kinko's own records: anything else in the location was not put there by an ingest.
    if (!isToken(obj.key) || obj.lastModified.getTime() > cutoff) continue;
    batch.push(obj.key);
    if (batch.length >= ORPHAN_BATCH) yield* flush();
  }
  if (batch.length) yield* flush();
}

/** deleteVaultObject for many records at once (a failed commit's writes, orphans). Idempotent. */
export async function deleteVaultObjects(deps: Pick<Deps, 'storage'>, tokens: readonly string[]): Promise<void> {
  for (const token of tokens) if (!isToken(token)) throw new TypeError('not a vault token');
  await deps.storage.vault.deleteMany(tokens);
}

/** Removes a record and every copy the backend keeps of it (all versions). Idempotent. */
export async function deleteVaultObject(deps: Pick<Deps, 'storage'>, token: string): Promise<void> {
  if (!isToken(token)) throw new TypeError('not a vault token');
  await deps.storage.vault.delete(token);
}

const ORPHAN_DELETE_BATCH = 1000;

/**
 * Deletes the vault records no persons row references that are older than
 * `olderThanMs` (a commit that never reached its transaction, P9): listed
 * first, then deleted ORPHAN_DELETE_BATCH at a time (deleting while listing
 * could disturb the listing's pages). Returns how many went.
 */
export async function sweepOrphanRecords(deps: Pick<Deps, 'db' | 'clock' | 'storage'>, opts: { olderThanMs: number }): Promise<number> {
  const orphans: string[] = [];
  for await (const token of findOrphanVaultObjects(deps, opts)) orphans.push(token);
  let deleted = 0;
  for (let i = 0; i < orphans.length; i += ORPHAN_DELETE_BATCH) {
    const batch = orphans.slice(i, i + ORPHAN_DELETE_BATCH);
    await deleteVaultObjects(deps, batch);
    deleted += batch.length;
  }
  return deleted;
}
