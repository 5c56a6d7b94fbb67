import { forEachAtOnce } from '../../storage-adapters/concurrency.js';
import { NotFound } from '../http/errors.js';
import { unwrapKey } from './crypto.js';
import { VaultRecordDisposed } from './errors.js';
import type { RevealPurpose } from './purposes.js';
import { purposeBoundRead, type PurposeReader, type RevealDeps } from './purpose-read.js';
import * as repo from './repo.js';
import { readCurrentNumber } from './reveal.js';

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

/** The persons, every one of this company; null if any is unknown or another company's (404, as for one). */
async function personsOf(deps: RevealDeps, companyId: string, ids: readonly string[]): Promise<repo.PersonRow[] | null> {
  if (!companyId || ids.some((id) => typeof id !== 'string' || !id)) return null;
  const rows: repo.PersonRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(...(await deps.db.selectFrom('persons').selectAll().where('company_id', '=', companyId).where('id', 'in', ids.slice(i, i + 500)).execute()));
  }
  return rows.length === ids.length ? rows : null;
}

/** Each data key unwrapped once, each record read and decrypted (where its row names it now); keys zeroed when done. */
async function readAll(deps: RevealDeps, persons: readonly repo.PersonRow[], officeKey: Parameters<typeof unwrapKey>[1], into: Map<string, string>): Promise<void> {
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
    await forEachAtOnce(persons, READS_AT_ONCE, async (p) => {
      into.set(p.id, await readCurrentNumber(deps, p, dataKey));
    });
  } finally {
    for (const raw of keys.values()) await raw.then((b) => b.fill(0), () => {});
  }
}
