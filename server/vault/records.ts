import type { Deps } from '../deps.js';
import { containsMyNumber } from '../log/redact.js';
import { isToken } from './crypto.js';
import * as repo from './repo.js';

/**
 * Persons rows and vault objects as the ingest's commit and the
 * reconciliation after a crash need them.
 */

/** Fields a person types or a file supplies: the ones a misread column could fill with a number. */
const TEXT_FIELDS = ['name', 'furigana', 'employee_code', 'relation', 'source_sheet'] as const;

/** A row that would put something looking like a My Number into the database (P3). Names the field, never the value. */
export class NumberInPersonRow extends Error {
  constructor(readonly field: string) {
    super(`a person row's ${field} looks like a My Number; refusing to store it`);
    this.name = 'NumberInPersonRow';
  }
}

/**
 * Inserts prepared rows (VaultSession.personRow) inside the caller's
 * transaction. Employees go before their dependents (employee_person_id is a
 * foreign key). Last guard for P3: a text field that holds a valid My Number
 * in any written form (a column mix-up in the source file) fails the whole
 * insert, so the transaction rolls back rather than storing it.
 */
export async function insertPersons(trx: repo.Db, rows: readonly repo.NewPersonRow[]): Promise<void> {
  for (const row of rows) {
    for (const f of TEXT_FIELDS) {
      const v = row[f];
      if (typeof v === 'string' && containsMyNumber(v)) throw new NumberInPersonRow(f);
    }
    if (!isToken(row.token)) throw new TypeError('not a vault token');
  }
  const ids = new Set(rows.map((r) => r.id));
  const first = rows.filter((r) => !r.employee_person_id || !ids.has(r.employee_person_id));
  const after = rows.filter((r) => r.employee_person_id && ids.has(r.employee_person_id));
  await repo.insertPersonRows(trx, [...first, ...after]);
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

/** Removes a record and every copy the backend keeps of it (all versions). Idempotent. */
export async function deleteVaultObject(deps: Pick<Deps, 'storage'>, token: string): Promise<void> {
  if (!isToken(token)) throw new TypeError('not a vault token');
  await deps.storage.vault.delete(token);
}
