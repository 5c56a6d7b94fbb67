import type * as openpgp from 'openpgp';
import { forEachAtOnce } from '../../storage-adapters/concurrency.js';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import { lockedForUpdate } from '../db/dialect.js';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { decryptRecord, encryptRecord, newToken, unwrapKey } from './crypto.js';
import { cohortDataKey } from './keys.js';
import * as repo from './repo.js';
import { readRecord } from './reveal.js';

/**
 * Moving held persons into the disposal cohort their retention end puts
 * them in (issue 14 §3, design §3): each record is read under its old key,
 * sealed again under the data key of (company, target cohort) with a fresh
 * token, and the person row points at it; then the old object goes, every
 * version of it. Once a cohort holds exactly the people due together,
 * destroying its one key erases exactly them (crypto-erase is true), and
 * nobody else.
 *
 * In slices of RESEAL_SLICE persons, each crash-safe like an ingest (P9):
 *   write the new records create-only ──▶ ONE transaction: the target key is
 *   locked and must be live, each row moves only if it is still held with
 *   the token read (a concurrent change wins), one audit entry
 *   `vault.reseal` (ids and counts), and the tokens the rows no longer name
 *   written to vault_retired_records (migration 0027) ──▶ those records
 *   deleted (all versions) and, once listing shows them gone, forgotten.
 * A crash before the commit leaves new records no row references: orphans
 * the start-up reconciliation deletes (records.ts sweepOrphanRecords). After
 * it, the old records are in vault_retired_records: purgeRetiredRecords
 * deletes them at start-up and before any disposal batch of the company
 * destroys a key — which refuses while one is left, since the old key stays
 * live for the others and a crypto-erase would not erase that person.
 * Nothing is ever without its record.
 *
 * The caller (retention) decides who goes where, and unlocked the office
 * key; this holds the raw data keys for the length of one slice and zeroes
 * them. No number leaves this file; it returns counts.
 */
export interface ResealMove {
  personId: string;
  cohort: string;
}

export interface ResealInput {
  companyId: string;
  moves: readonly ResealMove[];
  officeKey: openpgp.PrivateKey;
  actor: { userId: string | null; role: string | null; requestId?: string | null };
}

export interface ResealResult {
  /** Persons now in their target cohort's key (this call); the others were there already, changed meanwhile, or could not be read (logged). */
  moved: number;
}

export type ResealDeps = Pick<Deps, 'db' | 'clock' | 'storage' | 'secrets' | 'logger'>;

const RESEAL_SLICE = 500;
const READS_AT_ONCE = 8;

export async function resealPersons(deps: ResealDeps, input: ResealInput): Promise<ResealResult> {
  if (!input.officeKey.isDecrypted()) throw new TypeError('resealPersons needs the unlocked office key');
  const target = new Map(input.moves.map((m) => [m.personId, m.cohort]));
  const ids = [...target.keys()];
  let moved = 0;
  for (let i = 0; i < ids.length; i += RESEAL_SLICE) {
    // By id alone, the company checked here (as bulk-read.ts does): with `company_id = ?` in the query
    // SQLite walks the company's index for every slice — O(n²) in the company's size.
    const rows = (await deps.db.selectFrom('persons').selectAll().where('id', 'in', ids.slice(i, i + RESEAL_SLICE)).where('state', '=', 'held').execute()).filter((p) => p.company_id === input.companyId);
    const byCohort = new Map<string, repo.PersonRow[]>();
    for (const p of rows) {
      const cohort = target.get(p.id)!;
      if (p.cohort === cohort) continue;
      const list = byCohort.get(cohort);
      if (list) list.push(p);
      else byCohort.set(cohort, [p]);
    }
    for (const [cohort, persons] of byCohort) moved += await resealSlice(deps, input, cohort, persons);
  }
  return { moved };
}

interface Sealed {
  person: repo.PersonRow;
  token: string;
  bytes: Buffer;
}

async function resealSlice(deps: ResealDeps, input: ResealInput, cohort: string, persons: readonly repo.PersonRow[]): Promise<number> {
  const to = await cohortDataKey(deps, input.companyId, cohort, input.officeKey);
  const from = new Map<string, Buffer>();
  const sealed: Sealed[] = [];
  try {
    for (const id of new Set(persons.map((p) => p.data_key_id))) {
      const dk = await repo.findDataKey(deps.db, id);
      if (dk && !dk.destroyedAt && dk.wrapped) from.set(id, await unwrapKey(dk.wrapped, input.officeKey));
    }
    await forEachAtOnce(persons, READS_AT_ONCE, async (person) => {
      const key = from.get(person.data_key_id);
      if (!key) return; // a key destroyed meanwhile: nothing left to move
      let number: string;
      try {
        number = decryptRecord(key, person.token, await readRecord(deps, person.token));
      } catch (err) {
        // A record that cannot be read stays where it is (and is not lost): the others still move.
        deps.logger.error({ personId: person.id, err: (err as Error).name }, 'reseal: a vault record could not be read; that person stays in their cohort');
        return;
      }
      const token = newToken();
      sealed.push({ person, token, bytes: encryptRecord(to.raw, token, number) });
    });
    if (sealed.length === 0) return 0;
    let moved: number;
    try {
      await deps.storage.vault.createMany(sealed.map((s) => ({ key: s.token, bytes: s.bytes })));
      failpoint('reseal.after-write');
      moved = await deps.db.transaction().execute(async (trx) => {
        const live = await lockedForUpdate(trx, trx.selectFrom('data_keys').select('id').where('id', '=', to.id).where('destroyed_at', 'is', null)).executeTakeFirst();
        const done: Sealed[] = [];
        for (const s of live ? sealed : []) {
          const upd = await trx
            .updateTable('persons')
            .set({ token: s.token, data_key_id: to.id, cohort })
            .where('id', '=', s.person.id)
            .where('token', '=', s.person.token)
            .where('state', '=', 'held')
            .executeTakeFirst();
          if (Number(upd.numUpdatedRows) === 1) done.push(s);
        }
        // Every record no row names any more: the old ones, and new ones a concurrent change left unused.
        const kept = new Set(done);
        const retired = [...done.map((s) => s.person.token), ...sealed.filter((s) => !kept.has(s)).map((s) => s.token)];
        const now = deps.clock.now().toISOString();
        for (let i = 0; i < retired.length; i += 200) {
          await trx.insertInto('vault_retired_records').values(retired.slice(i, i + 200).map((token) => ({ token, company_id: input.companyId, retired_at: now }))).execute();
        }
        if (done.length > 0) {
          const acting = requestActing(auditContext(deps), { userId: input.actor.userId, role: input.actor.role, requestId: input.actor.requestId ?? null });
          await record(trx, acting, {
            action: 'vault.reseal',
            companyId: input.companyId,
            targetIds: done.map((s) => s.person.id),
            purpose: null,
            details: { cohort, dataKey: to.id, persons: done.length, fromKeys: [...new Set(done.map((s) => s.person.data_key_id))].sort().join(' ') },
          });
        }
        return done.length;
      });
    } catch (err) {
      // Nothing committed: the new records go again (the old ones were never touched).
      await deps.storage.vault.deleteMany(sealed.map((s) => s.token)).catch(() => {});
      throw err;
    }
    failpoint('reseal.after-commit');
    await purgeRetiredRecords(deps, input.companyId);
    return moved;
  } finally {
    to.raw.fill(0);
    for (const raw of from.values()) raw.fill(0);
    for (const s of sealed) s.bytes.fill(0);
  }
}

/**
 * Deletes the records reseals replaced (every version) and forgets each one
 * only once listing shows it gone. Idempotent; run after each reseal slice,
 * at start-up, and before a disposal batch of the company destroys a key.
 * Returns how many are still there (a store that refused: retried later).
 */
export async function purgeRetiredRecords(deps: Pick<Deps, 'db' | 'storage'>, companyId?: string): Promise<number> {
  let q = deps.db.selectFrom('vault_retired_records').select('token');
  if (companyId) q = q.where('company_id', '=', companyId);
  const tokens = (await q.orderBy('token').execute()).map((r) => r.token);
  let left = 0;
  for (let i = 0; i < tokens.length; i += 1000) {
    const batch = tokens.slice(i, i + 1000);
    try {
      await deps.storage.vault.deleteMany(batch);
    } catch {
      left += batch.length; // a store that refused (S3 AccessDenied, network): the rows stay for the next run
      continue;
    }
    const still = await deps.storage.vault.remnantsMany(batch);
    const gone = batch.filter((token) => !still.has(token));
    left += still.size;
    if (gone.length > 0) await deps.db.deleteFrom('vault_retired_records').where('token', 'in', gone).execute();
  }
  return left;
}
