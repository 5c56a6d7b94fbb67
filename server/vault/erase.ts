import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../http/errors.js';
import type { Actor } from '../http/policies.js';

/**
 * The cryptographic erase of one retention cohort of one company (design §3,
 * P5; domain/retention-and-breach.md §4.4–4.5). The retention flow decides
 * when and with whose approval; this does the erase and says exactly what
 * it did, so a certificate claims nothing more.
 *
 * In ONE transaction: the cohort's data key loses its only stored form (the
 * key wrapped to the office key: data keys never exist unwrapped on disk,
 * P4), so every copy of the cohort's records — in the vault location, its
 * versions, its backups — can no longer be decrypted; its persons leave
 * `held`, and their blind index and last four digits are cleared (with the
 * company's index key still live, an index is a test a key holder could run
 * over the ~10^8 numbers that end in those four digits: it would give the
 * number back). One audit entry `vault.cohort.erase` (ids and counts only).
 * Then read back: no live or wrapped key, no held person, no index left.
 *
 * Idempotent: erasing an erased cohort verifies and reports again (a crash
 * after the commit loses nothing). Not done here, and not claimed:
 *  - the records themselves stay in the vault location as ciphertext nobody
 *    can open until they are purged (server/disposal/ deletes every version
 *    of `tokens` and verifies by listing): "Purge + Crypto Erase" needs both;
 *  - a database backup, replica or log taken before `destroyedAt` still holds
 *    the wrapped key: while the office key lives, the cohort is recoverable
 *    from it. `residue` names these, for the certificate to state with dates.
 */
export interface EraseInput {
  companyId: string;
  cohort: string;
  actor: Pick<Actor, 'userId' | 'role'>;
  requestId?: string | null;
}

export interface EraseResult {
  companyId: string;
  cohort: string;
  /** The data keys destroyed (by this call or an earlier one). */
  dataKeyIds: string[];
  /** When the (last) key was destroyed. */
  destroyedAt: string;
  /** False when the cohort had been erased already. */
  erasedNow: boolean;
  /** Persons of the cohort, and their records' tokens (for the purge of the objects). */
  persons: number;
  tokens: string[];
  /** Read back after the commit: no wrapped key, no held person, no index. */
  verified: true;
  /** Copies of the wrapped key outside the live rows, which this cannot reach: a certificate names them. */
  residue: Array<'database-backups-before-destroyedAt' | 'database-log-and-old-row-versions'>;
}

export async function eraseCohort(deps: Pick<Deps, 'db' | 'clock' | 'secrets'>, input: EraseInput): Promise<EraseResult> {
  if (input.actor.role !== 'staff' && input.actor.role !== 'director') throw new Forbidden();
  if (!input.companyId || !input.cohort) throw new NotFound();
  const now = deps.clock.now().toISOString();
  const erasedNow = await deps.db.transaction().execute(async (trx) => {
    const live = await trx.selectFrom('data_keys').select('id').where('company_id', '=', input.companyId).where('cohort', '=', input.cohort).where('destroyed_at', 'is', null).execute();
    if (live.length === 0) return false;
    const ids = live.map((k) => k.id);
    await trx.updateTable('data_keys').set({ wrapped_key: null, destroyed_at: now }).where('id', 'in', ids).execute();
    const persons = await trx
      .updateTable('persons')
      .set({ state: 'disposed', number_index: '', number_last4: null })
      .where('data_key_id', 'in', ids)
      .executeTakeFirst();
    const acting = requestActing(auditContext(deps), { userId: input.actor.userId, role: input.actor.role, requestId: input.requestId ?? null });
    await record(trx, acting, {
      action: 'vault.cohort.erase',
      companyId: input.companyId,
      targetIds: ids,
      purpose: null,
      details: { cohort: input.cohort, dataKeys: ids.length, persons: Number(persons.numUpdatedRows) },
    });
    return true;
  });
  return verify(deps, input, erasedNow);
}

async function verify(deps: Pick<Deps, 'db'>, input: EraseInput, erasedNow: boolean): Promise<EraseResult> {
  const keys = await deps.db.selectFrom('data_keys').select(['id', 'wrapped_key', 'destroyed_at']).where('company_id', '=', input.companyId).where('cohort', '=', input.cohort).execute();
  if (keys.length === 0) throw new NotFound();
  if (keys.some((k) => k.wrapped_key !== null || k.destroyed_at === null)) throw new Error('cohort erase not verified: a data key is still stored');
  const ids = keys.map((k) => k.id);
  const persons = await deps.db.selectFrom('persons').select(['token', 'state', 'number_index', 'number_last4']).where('data_key_id', 'in', ids).execute();
  if (persons.some((p) => p.state === 'held' || p.number_index !== '' || p.number_last4 !== null)) throw new Error('cohort erase not verified: a person is still held');
  return {
    companyId: input.companyId,
    cohort: input.cohort,
    dataKeyIds: ids,
    destroyedAt: keys.map((k) => k.destroyed_at!).sort().at(-1)!,
    erasedNow,
    persons: persons.length,
    tokens: persons.map((p) => p.token),
    verified: true,
    residue: ['database-backups-before-destroyedAt', 'database-log-and-old-row-versions'],
  };
}
