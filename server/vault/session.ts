import { Readable } from 'node:stream';
import type * as openpgp from 'openpgp';
import type { Deps } from '../deps.js';
import { randomId } from '../lib/random.js';
import { blindIndex, encryptRecord, isToken, newToken } from './crypto.js';
import { beginCustody, type Custody, type CustodyCandidate, type CustodyPerson } from './custody.js';
import { blindIndexesOnThread, OFF_THREAD_INDEXES } from './index-thread.js';
import { cohortDataKey, companyIndexKey } from './keys.js';
import { prepareSealWorker, sealRecords } from './seal-records.js';
import { findHeldByEmployeeCodes, findHeldByIndexes } from './lookups.js';
import * as repo from './repo.js';

/**
 * One ingest's access to the vault of one company and retention cohort.
 *
 * It holds the company's raw index key and the cohort's raw data key in
 * memory for this one operation only (P4) and zeroes them at close(). The
 * office key itself is not kept: the caller unlocked it and drops it.
 *
 * Order the ingest follows (P9): sealRecord → writeRecord (create-only, before
 * the database commit) → insertPersons inside the commit transaction. A crash
 * between the two leaves a vault object no row references: an orphan that
 * findOrphanVaultObjects lists for reconciliation, never a row without its record.
 */
export interface VaultSession {
  readonly companyId: string;
  readonly cohort: string;
  readonly dataKeyId: string;
  /** The keyed blind index of 12 ASCII digits (base64url HMAC-SHA256). */
  indexOf(number: string): string;
  /** Computes (and keeps) the indexes of many numbers at once, off the main thread for a large file; indexOf then answers from memory. */
  prepareIndexes(numbers: readonly string[]): Promise<void>;
  /** The held person of this company with this number, or null. */
  findByNumber(db: repo.Db, number: string): Promise<repo.PersonRow | null>;
  /** findByNumber for many blind indexes (indexOf) at once: index → the held person, for those held. */
  findByIndexes(db: repo.Db, indexes: readonly string[]): Promise<Map<string, repo.PersonRow>>;
  /**
   * The held persons with one of these employee codes, so that findByEmployee
   * can be answered in memory for a whole file.
   */
  findByEmployeeCodes(db: repo.Db, codes: readonly string[]): Promise<repo.PersonRow[]>;
  /** Held persons that look like the same person (to detect a number change). */
  findByEmployee(db: repo.Db, who: { employeeCode?: string | null; name: string; relation: string }): Promise<repo.PersonRow[]>;
  /** A fresh token and the record bytes for it (nothing is written). */
  sealRecord(number: string): { token: string; bytes: Buffer };
  /**
   * sealRecord for many numbers: the fresh tokens at once, the records
   * (RECORD_BYTES each, in the same order) when sealed — on a worker thread
   * for large batches (seal-records.ts), so the caller can prepare its rows
   * meanwhile. Nothing is written.
   */
  sealMany(numbers: readonly string[]): { tokens: string[]; records: Promise<Buffer> };
  /** Writes the record create-only into the vault location under its token. */
  writeRecord(token: string, bytes: Buffer): Promise<void>;
  /**
   * Writes many records create-only at once (storage createMany): durable when
   * it resolves; after a failure any of them may exist, and the caller deletes
   * every token it passed.
   */
  writeRecords(records: ReadonlyArray<{ token: string; bytes: Buffer }>): Promise<void>;
  /** A persons row ready for insertPersons: random id, this session's company, cohort, data key and index. */
  personRow(p: NewPersonInput): repo.NewPersonRow;
  /** personRow for many persons of one commit: they share one creation time (`createdAt`, else now). */
  /**
   * personRow for many persons of one commit, their tokens and numbers in
   * arrays beside them (no merged object per person: at 245,000 persons those
   * copies were ≈ 200 MiB of garbage); they share one creation time.
   */
  personRows(inputs: readonly Omit<NewPersonInput, 'token' | 'number'>[], tokens: readonly string[], numbers: readonly string[], createdAt?: string): repo.NewPersonRow[];
  /**
   * Starts taking custody of these numbers (custody.ts): their records are
   * sealed from now on, while the caller decides which persons to hold.
   */
  takeCustody(candidates: readonly CustodyCandidate[]): Custody;
  /** Zeroes the keys; every later call throws. Safe to call twice. */
  close(): void;
}

/** A person as custody.ts holds one (CustodyPerson), with its token and number instead of the candidate key. */
export interface NewPersonInput extends Omit<CustodyPerson, 'key' | 'id'> {
  token: string;
  number: string;
  /** Defaults to a fresh random id. */
  id?: string;
}

export type VaultDeps = Pick<Deps, 'db' | 'clock' | 'storage' | 'config'>;

export async function openVaultSession(
  deps: VaultDeps,
  opts: { companyId: string; officeKey: openpgp.PrivateKey; cohort: string },
): Promise<VaultSession> {
  if (!opts.officeKey.isDecrypted()) throw new TypeError('openVaultSession needs the unlocked office key');
  if (!opts.cohort || typeof opts.cohort !== 'string') throw new TypeError('a retention cohort is required');
  prepareSealWorker(); // built once per process, ready before this session's commit
  const indexKey = await companyIndexKey(deps, opts.companyId, opts.officeKey);
  let dataKey: { id: string; raw: Buffer };
  try {
    dataKey = await cohortDataKey(deps, opts.companyId, opts.cohort, opts.officeKey);
  } catch (err) {
    indexKey.fill(0);
    throw err;
  }
  let closed = false;
  const open = () => {
    if (closed) throw new Error('the vault session is closed');
  };
  // An ingest asks for each number's index several times (preview plan,
  // confirm plan, persons row): computed once per session, dropped at close().
  const indexes = new Map<string, string>();
  const indexOf = (number: string) => {
    open();
    let index = indexes.get(number);
    if (index === undefined) indexes.set(number, (index = blindIndex(indexKey, number)));
    return index;
  };

  // The last four digits and nothing more (migration 0012): what lists show masked.
  const lastFour = (number: string) => (/^[0-9]{12}$/.test(number) ? number.slice(8) : null);

  const rowOf = (p: Omit<NewPersonInput, 'token' | 'number'>, token: string, number: string, createdAt: string): repo.NewPersonRow => {
    if (!isToken(token)) throw new TypeError('not a vault token');
    return {
      id: p.id ?? randomId(),
      company_id: opts.companyId,
      token,
      data_key_id: dataKey.id,
      number_index: indexOf(number),
      number_last4: lastFour(number),
      name: p.name,
      furigana: p.furigana ?? null,
      employee_code: p.employeeCode ?? null,
      relation: p.relation,
      employee_person_id: p.employeePersonId ?? null,
      source_drop_id: p.sourceDropId ?? null,
      source_sheet: p.sourceSheet ?? null,
      source_row: p.sourceRow ?? null,
      cohort: opts.cohort,
      state: 'held',
      created_at: createdAt,
    };
  };

  const session: VaultSession = {
    companyId: opts.companyId,
    cohort: opts.cohort,
    dataKeyId: dataKey.id,
    indexOf,
    prepareIndexes: async (numbers) => {
      open();
      const missing = [...new Set(numbers)].filter((n) => !indexes.has(n));
      const computed = missing.length >= OFF_THREAD_INDEXES ? await blindIndexesOnThread(indexKey, missing) : null;
      open();
      if (computed) missing.forEach((n, i) => indexes.set(n, computed[i]!));
      // Small batches, or a batch the thread declined: here, with blindIndex's own checks.
      else for (const n of missing) indexOf(n);
    },
    findByNumber: async (db, number) => repo.findHeldByIndex(db, opts.companyId, indexOf(number)),
    findByIndexes: async (db, indexes) => {
      open();
      return findHeldByIndexes(db, opts.companyId, indexes);
    },
    findByEmployeeCodes: async (db, codes) => {
      open();
      return findHeldByEmployeeCodes(db, opts.companyId, codes);
    },
    findByEmployee: async (db, who) => {
      open();
      return repo.findHeldByEmployee(db, opts.companyId, who);
    },
    sealRecord(number) {
      open();
      const token = newToken();
      return { token, bytes: encryptRecord(dataKey.raw, token, number) };
    },
    sealMany(numbers) {
      open();
      const tokens = numbers.map(() => newToken());
      const records = sealRecords(dataKey.raw, tokens, numbers);
      // Awaited by the caller later; until then a failure must not count as unhandled.
      records.catch(() => {});
      return { tokens, records };
    },
    async writeRecord(token, bytes) {
      open();
      if (!isToken(token)) throw new TypeError('not a vault token');
      await deps.storage.vault.put(token, Readable.from([bytes]), { createOnly: true });
    },
    async writeRecords(records) {
      open();
      for (const r of records) if (!isToken(r.token)) throw new TypeError('not a vault token');
      await deps.storage.vault.createMany(records.map((r) => ({ key: r.token, bytes: r.bytes })));
    },
    personRow(p) {
      open();
      return rowOf(p, p.token, p.number, deps.clock.now().toISOString());
    },
    personRows(inputs, tokens, numbers, at) {
      open();
      if (tokens.length !== inputs.length || numbers.length !== inputs.length) throw new RangeError('a token and a number for every person');
      const createdAt = at ?? deps.clock.now().toISOString();
      return inputs.map((p, i) => rowOf(p, tokens[i]!, numbers[i]!, createdAt));
    },
    takeCustody(candidates) {
      open();
      // Through `session`, not the closures: its methods are what the ingest bench times.
      return beginCustody(deps, session, candidates);
    },
    close() {
      closed = true;
      indexes.clear();
      indexKey.fill(0);
      dataKey.raw.fill(0);
    },
  };
  return session;
}
