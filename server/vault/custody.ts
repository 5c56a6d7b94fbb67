import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { failpoint } from '../failpoints.js';
import { isToken, RECORD_BYTES } from './record.js';
import * as repo from './repo.js';
import { turnTaker } from '../lib/turns.js';

/**
 * Taking custody of a batch of persons and their numbers (an ingest's
 * confirmation). The vault decides here what other domains must not know:
 * the record size, sealing, where and when records are written, and how
 * they are durable before the caller's database transaction commits (P9):
 *
 *   const custody = session.takeCustody(candidates)   sealing starts (a worker thread for a large batch)
 *   await custody.stage(persons, { keepAlive })        the rows; a remote vault (S3) is written now
 *   … caller's transaction: await custody.commit(trx)  a local vault is written beside the persons insert
 *   on failure, if nothing committed: await custody.abandon()
 *
 * Every record is written create-only and durable before commit() resolves,
 * so before the caller's COMMIT. A local vault (the packed store in the data
 * folder) takes its records in milliseconds on its own writer thread: they
 * are written inside the transaction, beside the persons insert. A remote
 * one is written in stage(), outside any transaction, so a slow bucket never
 * holds the database transaction open. commit() writes whatever stage() did
 * not, so it is correct on its own; stage() only moves remote writes earlier.
 * A crash in between leaves records no row references: orphans that
 * sweepOrphanRecords deletes (records.ts).
 */
export interface CustodyCandidate {
  /** The caller's key for this number (e.g. a plan key); persons name it in stage(). */
  key: string;
  number: string;
}

/** A person to hold: everything but the number and token, which come from the candidate `key`. */
export interface CustodyPerson {
  key: string;
  id: string;
  name: string;
  furigana?: string | null;
  employeeCode?: string | null;
  relation: string;
  employeePersonId?: string | null;
  sourceDropId?: string | null;
  sourceSheet?: string | null;
  sourceRow?: number | null;
}

export interface Custody {
  /** Settles when every candidate's record is sealed (stage waits for it itself; for timing). */
  readonly sealed: Promise<void>;
  /** Records that may exist so far (for log lines: counts only). */
  readonly written: number;
  /** Builds the persons rows and, for a remote vault, writes their records now. Once only. */
  stage(persons: readonly CustodyPerson[], opts?: { keepAlive?: () => Promise<void> }): Promise<void>;
  /** Inside the caller's transaction: writes the records not yet written and inserts the rows; resolves once both are durable. */
  commit(trx: Transaction<Database>): Promise<void>;
  /** The caller's transaction did not commit: deletes every record this custody may have written, zeroes the rest. Idempotent. */
  abandon(): Promise<void>;
}

/** What takeCustody needs of the vault session (session.ts), without importing it. */
export interface CustodySession {
  readonly dataKeyId: string;
  sealMany(numbers: readonly string[]): { tokens: string[]; records: Promise<Buffer> };
  writeRecords(records: ReadonlyArray<{ token: string; bytes: Buffer }>): Promise<void>;
  personRows(inputs: ReadonlyArray<Omit<CustodyPerson, 'key'>>, tokens: readonly string[], numbers: readonly string[], createdAt?: string): repo.NewPersonRow[];
}

export type CustodyDeps = Pick<Deps, 'db' | 'clock' | 'storage' | 'config'>;

/** Persons rows built between two turns of the event loop in stage(). */
const STAGE_SLICE = 2000;

/**
 * Records per createMany on S3 unless KINKO_VAULT_BATCH says otherwise: a
 * batch is written in parallel, and keepAlive runs between batches. The
 * embedded vault takes all of an ingest's records in one createMany (one
 * transaction on its writer thread) instead: its records are rows of a
 * B-tree keyed by random tokens, so every batch of 10,000 rewrote nearly every
 * page of the tree into the log and checkpointed it — 25 batches of a
 * 100,000-employee roster wrote ≈ 550 MiB for 10 MiB of records, a cost
 * growing with the square of the rows (issue 17; bench/ingest/persons-insert.ts).
 */
const REMOTE_BATCH = 10_000;

/** How often a long write calls keepAlive (a caller's job goes stale after minutes, not seconds). */
const KEEP_ALIVE_EVERY_MS = 10_000;

export function beginCustody(deps: CustodyDeps, session: CustodySession, candidates: readonly CustodyCandidate[]): Custody {
  const slot = new Map(candidates.map((c, i) => [c.key, i]));
  const { tokens, records } = session.sealMany(candidates.map((c) => c.number));
  const written: string[] = [];
  let rows: repo.NewPersonRow[] | null = null;
  let slots: number[] = [];
  let next = 0; // slots[next…] are not written yet
  let zeroed = false;
  const zero = () => {
    zeroed = true;
    void records.then((r) => r.fill(0), () => {});
  };

  /** Writes the remaining records, batchSize() at a time (storage createMany: one durable sync per batch). */
  const writeRest = async (keepAlive?: () => Promise<void>) => {
    const all = await records;
    if (zeroed) throw new Error('the custody was abandoned');
    const batchSize = deps.config.vaultBatch ?? (deps.storage.vault.kind === 'local' ? Math.max(1, slots.length) : REMOTE_BATCH);
    let touched = Date.now();
    try {
      while (next < slots.length) {
        const start = next;
        const batch = slots.slice(start, start + batchSize).map((i) => ({ token: tokens[i]!, bytes: all.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES) }));
        // Known before written: a failure undoes every write that may have happened.
        for (const r of batch) written.push(r.token); // not push(...): a batch may hold 100,000
        next = start + batch.length;
        await session.writeRecords(batch);
        // (The name predates the vault API: the kill-at-every-step test arms it.)
        if (start === 0 || next >= slots.length) failpoint('ingest.after-vault-write');
        if (keepAlive && next < slots.length && Date.now() - touched >= KEEP_ALIVE_EVERY_MS) {
          await keepAlive();
          touched = Date.now();
        }
      }
    } finally {
      if (next >= slots.length) all.fill(0);
    }
  };

  return {
    sealed: records.then(() => {}, () => {}),
    get written() {
      return written.length;
    },
    async stage(persons, opts = {}) {
      if (rows) throw new Error('custody already staged');
      slots = persons.map((p) => {
        const i = slot.get(p.key);
        if (i === undefined) throw new RangeError('a person without a sealed candidate');
        return i;
      });
      // (insertPersonRows puts employees before their dependents: employee_person_id is a foreign key within the batch.)
      // In slices, letting the event loop turn between them (lib/turns.ts); one creation time for the whole batch.
      const createdAt = deps.clock.now().toISOString();
      const built: repo.NewPersonRow[] = [];
      // A slice's work in a plain function, not in this async loop's body (lib/turns.ts says why).
      const buildSlice = (from: number) => {
        const slice = persons.slice(from, from + STAGE_SLICE);
        // Tokens and numbers beside the persons, not merged into a copy of each (issue 17: that copy was most of confirm's garbage).
        const sliceTokens = slice.map((_, n) => tokens[slots[from + n]!]!);
        const sliceNumbers = slice.map((_, n) => candidates[slots[from + n]!]!.number);
        for (const row of session.personRows(slice, sliceTokens, sliceNumbers, createdAt)) built.push(row);
      };
      const turn = turnTaker();
      for (let from = 0; from < persons.length; from += STAGE_SLICE) {
        buildSlice(from);
        await turn();
      }
      rows = built;
      await records;
      if (deps.storage.vault.kind !== 'local') await writeRest(opts.keepAlive);
    },
    async commit(trx) {
      if (!rows) throw new Error('custody not staged');
      const staged = rows;
      // A cohort erased while this batch was being prepared: its records would be sealed under a destroyed key.
      const live = await trx.selectFrom('data_keys').select('id').where('id', '=', session.dataKeyId).where('destroyed_at', 'is', null).executeTakeFirst();
      if (!live) throw new Error('the cohort key was destroyed during the custody');
      const writing = writeRest();
      const inserting = repo.insertPersonRows(trx, staged);
      // Both finish before anything is decided: a failed insert must not roll
      // back (and undo the writes) while a batch is still being written.
      const [wrote, inserted] = await Promise.allSettled([writing, inserting]);
      if (inserted.status === 'rejected') throw inserted.reason;
      if (wrote.status === 'rejected') throw wrote.reason;
    },
    async abandon() {
      zero();
      for (const t of written) if (!isToken(t)) throw new TypeError('not a vault token');
      if (written.length) await deps.storage.vault.deleteMany([...written]);
    },
  };
}
