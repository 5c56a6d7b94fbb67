import { sql, type Transaction } from 'kysely';
import { isPostgres, lockedForUpdate, oneOfValues } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { forEachAtOnce } from '../../storage-adapters/concurrency.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';

/**
 * The vault's part of disposing of persons (issue 14 §5; P5). The retention
 * flow decides who and with whose approval, server/disposal/ deletes the
 * objects and verifies by listing; this file holds what only the vault may
 * touch: the persons rows and the wrapped data keys.
 *
 * Crypto-erase is claimed only for a data key whose every not-yet-disposed
 * person is in the batch — destroying it erases exactly those people. A
 * person disposed inside a cohort that others still need is a plain delete
 * (Purge) of their record: the key stays for the others, and the record says
 * so (retention-and-breach.md §4.4 "Granularity").
 */
type Trx = Transaction<Database>;

export interface PersonToDispose {
  personId: string;
  token: string;
  dataKeyId: string;
  name: string;
  relation: string;
}

/**
 * Takes held persons of one company out of use for their disposal: state
 * `disposing`, so reveals and bulk reads refuse them from this commit on.
 * Returns null when any of them is not a held person of this company (another
 * company's id is not found, P7) — the caller refuses the whole batch.
 */
export async function reserveForDisposal(trx: Trx, companyId: string, personIds: readonly string[]): Promise<PersonToDispose[] | { notHeld: string[]; notFound: string[] }> {
  const ids = [...new Set(personIds)];
  // By id alone, the company checked here: with `company_id = ?` in the query SQLite walks the
  // company's whole index instead of looking the ids up (bulk-read.ts). Another company's id is "not found".
  const rows = ids.length === 0 ? [] : (await trx.selectFrom('persons').select(['id', 'company_id', 'token', 'data_key_id', 'state', 'name', 'relation']).where(oneOfValues(trx, 'id', ids)).execute()).filter((r) => r.company_id === companyId);
  const found = new Set(rows.map((r) => r.id));
  const notFound = ids.filter((id) => !found.has(id));
  const notHeld = rows.filter((r) => r.state !== 'held').map((r) => r.id);
  if (notFound.length > 0 || notHeld.length > 0) return { notHeld, notFound };
  // Conditional: a concurrent approval that got in first leaves fewer rows to update.
  // (Every id is this company's: checked above, inside this transaction.)
  const upd = await trx.updateTable('persons').set({ state: 'disposing' }).where(oneOfValues(trx, 'id', ids)).where('state', '=', 'held').executeTakeFirst();
  if (Number(upd.numUpdatedRows) !== ids.length) return { notHeld: ids, notFound: [] };
  return rows.map((r) => ({ personId: r.id, token: r.token, dataKeyId: r.data_key_id, name: r.name, relation: r.relation }));
}

/**
 * The live data keys among `keyIds` that nobody outside `personIds` still
 * needs (every other person of the key is disposed), leaving out the cohort
 * ingest is writing into now (`liveCohort`): a key an ingest may be sealing
 * new records under is never destroyed.
 */
export async function keysOnlyFor(trx: Trx, personIds: readonly string[], keyIds: readonly string[], liveCohort: string): Promise<string[]> {
  const keys = [...new Set(keyIds)];
  if (keys.length === 0) return [];
  // Locked first (PostgreSQL): a reseal moving a person into one of these keys commits before this reads its persons, or waits and finds it destroyed.
  const live = await lockedForUpdate(trx, trx.selectFrom('data_keys').select(['id', 'cohort']).where('id', 'in', keys).where('destroyed_at', 'is', null).orderBy('id')).execute();
  const mine = new Set(personIds);
  const out: string[] = [];
  for (const k of live) {
    if (k.cohort === liveCohort) continue;
    const others = await trx.selectFrom('persons').select('id').where('data_key_id', '=', k.id).where('state', '!=', 'disposed').execute();
    if (others.every((o) => mine.has(o.id))) out.push(k.id);
  }
  return out.sort();
}

/** Destroys the only stored form of these data keys (wrapped to the office key, P4). */
export async function destroyDataKeys(trx: Trx, keyIds: readonly string[], at: string): Promise<void> {
  if (keyIds.length === 0) return;
  await trx.updateTable('data_keys').set({ wrapped_key: null, destroyed_at: at }).where('id', 'in', [...keyIds]).execute();
}

/**
 * A decrypt attempt that must fail for every record of the batch: no stored
 * key material is left for a destroyed key (nothing to unwrap), and no record
 * object can be read under its token. Throws when either could still work;
 * returns when it checked.
 */
export async function attemptDecrypt(deps: Pick<Deps, 'db' | 'storage'>, input: { keyIds: readonly string[]; tokens: readonly string[] }): Promise<void> {
  if (input.keyIds.length > 0) {
    const keys = await deps.db.selectFrom('data_keys').select(['id', 'wrapped_key', 'destroyed_at']).where('id', 'in', [...input.keyIds]).execute();
    if (keys.length !== input.keyIds.length || keys.some((k) => k.wrapped_key !== null || k.destroyed_at === null)) throw new Error('decrypt attempt: a destroyed data key still has key material');
  }
  let readable = false;
  await forEachAtOnce(input.tokens, DECRYPT_ATTEMPTS_AT_ONCE, async (token) => {
    if (await deps.storage.vault.get(token).then(
      (s) => {
        s.destroy();
        return true;
      },
      (e: unknown) => {
        if (e instanceof StorageNotFoundError) return false;
        throw e;
      },
    )) readable = true;
  });
  if (readable) throw new Error('decrypt attempt: a record can still be read');
}

/** Record reads in flight at once in attemptDecrypt (S3: a GET each). */
const DECRYPT_ATTEMPTS_AT_ONCE = 16;

/**
 * 廃棄済: the persons leave custody. Name and relation stay (the client's
 * certificate names them, and the record needs to say whose number went);
 * everything else that could link a number back — blind index, last four
 * digits, furigana, employee code, where it came from — is cleared.
 */
export async function markDisposed(trx: Trx, personIds: readonly string[]): Promise<number> {
  if (personIds.length === 0) return 0;
  const r = await trx
    .updateTable('persons')
    .set({ state: 'disposed', number_index: '', number_last4: null, furigana: null, employee_code: null, source_drop_id: null, source_sheet: null, source_row: null })
    .where(oneOfValues(trx, 'id', personIds))
    .where('state', '=', 'disposing')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * SQLite: the write-ahead log is copied into the database and truncated, so
 * no log page keeps the old row with the wrapped key (secure_delete, set at
 * every connection, zeroes freed pages). Retried while a reader holds the
 * log. PostgreSQL keeps old row versions until VACUUM: a residue the
 * certificate names, never a claim.
 */
export async function checkpointAfterDisposal(deps: Pick<Deps, 'db'>): Promise<'truncated' | 'busy' | 'not-sqlite'> {
  if (isPostgres(deps.db)) return 'not-sqlite';
  for (let i = 0; i < 20; i++) {
    const r = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(deps.db);
    if (Number(r.rows[0]?.busy ?? 0) === 0) return 'truncated';
    await new Promise((res) => setTimeout(res, 50));
  }
  return 'busy';
}
