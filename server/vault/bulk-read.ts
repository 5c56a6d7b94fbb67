import { forEachAtOnce } from '../../storage-adapters/concurrency.js';
import { NotFound } from '../http/errors.js';
import { unwrapKey } from './crypto.js';
import { VaultRecordDisposed } from './errors.js';
import type { RevealPurpose } from './purposes.js';
import { purposeBoundRead, type PurposeReader, type RevealDeps } from './purpose-read.js';
import * as repo from './repo.js';
import { readCurrentNumber, type RecordRow } from './reveal.js';

/**
 * Many numbers of one company at once, for one statutory purpose (the
 * year-end bundles: every employee's number for the 源泉徴収票). The same
 * rules as a reveal (reveal.ts), in the same order (purpose-read.ts), for who may: staff or a
 * director (else 404), holding a usable copy of the office key (audited
 * refusal), a purpose from the statutory list, not blocked by the reveal
 * limit, and the key passphrase or this session's open unlock window.
 *
 * All or nothing: every person must exist in this company and be held;
 * one damaged or disposed record refuses the whole read (a bundle that
 * silently lacks a person would be wrong), the damage audited as an incident.
 * Then ONE audit entry `vault.read.bulk` naming every person read (breach
 * scoping needs whose numbers left the vault) and counting as one reveal
 * for the hourly limit — a bulk read is one deliberate operation, and the
 * limit is there to catch browsing one number after another. Only after that
 * entry commits are the numbers returned; they stay in memory (P3, P6).
 */
export interface BulkReadInput extends PurposeReader {
  companyId: string;
  personIds: readonly string[];
  purpose: string;
}

export interface BulkReadResult {
  /** Person id → number, for every id asked. */
  numbers: Map<string, string>;
  purpose: RevealPurpose;
  windowExpiresAt: Date | null;
}

/** Records read at once from the vault location (S3: several GETs in flight). */
const READS_AT_ONCE = 8;

export async function readNumbersForPurpose(deps: RevealDeps, input: BulkReadInput): Promise<BulkReadResult> {
  const { actor } = input;
  const ids = [...new Set(input.personIds)];
  const persons = await personsOf(deps, input.companyId, ids);
  if (!persons || ids.length === 0 || (actor.role !== 'staff' && actor.role !== 'director')) throw new NotFound();
  const numbers = new Map<string, string>();
  const read = await purposeBoundRead(deps, {
    reader: input,
    companyId: input.companyId,
    targetIds: ids,
    purpose: input.purpose,
    allHeld: persons.every((p) => p.state === 'held'),
    read: (key) => readAll(deps, persons, key, numbers),
    forget: () => numbers.clear(),
    action: 'vault.read.bulk',
    details: (purposeKey, window) => ({ count: ids.length, purposeKey, window }),
    damagedDetails: (kind) => ({ kind, bulk: true }),
    failureMarks: { bulk: true },
    log: {
      fields: { companyId: input.companyId, requestId: input.requestId ?? null },
      damaged: 'vault records could not be decrypted (bulk read)',
      notRecorded: 'bulk read refused: its audit entry could not be written',
    },
  });
  return { numbers, purpose: read.purpose, windowExpiresAt: read.windowExpiresAt };
}

/** Persons read again by id, at most this many a query. */
const BATCH = 500;

/** The rows of `persons` as they are now; a person whose row is gone reads as disposed. */
async function rowsOf(deps: RevealDeps, persons: readonly Person[]): Promise<RecordRow[]> {
  const rows = await deps.db.selectFrom('persons').select(['id', 'state', 'token', 'data_key_id']).where('id', 'in', persons.map((p) => p.id)).execute();
  if (rows.length !== persons.length) throw new VaultRecordDisposed();
  return rows;
}

type Person = Pick<repo.PersonRow, 'id' | 'company_id' | 'state'>;

/** The persons, every one of this company; null if any is unknown or another company's (404, as for one). */
async function personsOf(deps: RevealDeps, companyId: string, ids: readonly string[]): Promise<Person[] | null> {
  if (!companyId || ids.some((id) => typeof id !== 'string' || !id)) return null;
  const rows: Person[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    // By id alone, the company checked here: with `company_id = ?` in the query SQLite walks
    // the company's index — every person of the company for each batch (O(n²) at 15,000).
    rows.push(...(await deps.db.selectFrom('persons').select(['id', 'company_id', 'state']).where('id', 'in', ids.slice(i, i + BATCH)).execute()));
  }
  return rows.length === ids.length && rows.every((r) => r.company_id === companyId) ? rows : null;
}

/** Each data key unwrapped once, each record read and decrypted (where its row names it now); keys zeroed when done. */
async function readAll(deps: RevealDeps, persons: readonly Person[], officeKey: Parameters<typeof unwrapKey>[1], into: Map<string, string>): Promise<void> {
  const keys = new Map<string, Promise<Buffer>>();
  const dataKey = (id: string) => {
    let raw = keys.get(id);
    if (!raw) {
      raw = repo.findDataKey(deps.db, id).then((dk) => {
        if (!dk || dk.destroyedAt || !dk.wrapped) throw new VaultRecordDisposed();
        return unwrapKey(dk.wrapped, officeKey);
      });
      keys.set(id, raw);
    }
    return raw;
  };
  try {
    // The rows are read again, a batch at a time, just before their records (one query per
    // BATCH persons instead of one each): a reseal since personsOf() is seen as in a reveal.
    for (let i = 0; i < persons.length; i += BATCH) {
      const now = await rowsOf(deps, persons.slice(i, i + BATCH));
      await forEachAtOnce(now, READS_AT_ONCE, async (p) => {
        into.set(p.id, await readCurrentNumber(deps, p, dataKey, true));
      });
    }
  } finally {
    for (const raw of keys.values()) await raw.then((b) => b.fill(0), () => {});
  }
}
