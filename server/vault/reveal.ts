import type { Readable } from 'node:stream';
import type * as openpgp from 'openpgp';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { decryptRecord, RECORD_BYTES, unwrapKey } from './crypto.js';
import { VaultRecordDamaged, VaultRecordDisposed } from './errors.js';
import type { RevealPurpose } from './purposes.js';
import { purposeBoundRead, type PurposeReader, type RevealDeps } from './purpose-read.js';
import * as repo from './repo.js';

/**
 * A purpose-bound reveal (design §1 step 5, issue 5 deliverable 6).
 *
 * In order, each step refusing with a plain reason:
 *   the person exists (404) → the actor holds a usable copy of the office key
 *   (403, audited) → a purpose from the statutory list (400) → the hourly limit
 *   and any block (429, audited, directors alerted once) → the key passphrase,
 *   or this session's open unlock window (400, wrong passphrases audited) →
 *   the record decrypts (500 "damaged", audited as an incident) → ONE audit
 *   entry `vault.reveal` with the purpose, person id and token, written in the
 *   same transaction that counts the reveal. Only after that commit is the
 *   number returned: if the entry cannot be written, nobody sees the number
 *   (security.md AUDIT: "sensitive operations are refused when the audit
 *   record cannot be written").
 *
 * The number is in memory for the length of this call and the page that
 * shows it: never in an error, a log line, the audit trail or a URL (P3, P6).
 * The steps after the 404 are purpose-read.ts's, shared with bulk-read.ts.
 */
export type { RevealDeps };

export interface RevealInput extends PurposeReader {
  personId: string;
  purpose: string;
}

export interface RevealResult {
  number: string;
  person: repo.PersonDetail;
  purpose: RevealPurpose;
  /** When this session's unlock window closes (null: the key was unlocked for this reveal only). */
  windowExpiresAt: Date | null;
}

export async function revealNumber(deps: RevealDeps, input: RevealInput): Promise<RevealResult> {
  const { actor } = input;
  const requestId = input.requestId ?? null;
  const person = typeof input.personId === 'string' && input.personId ? await repo.findPersonDetail(deps.db, input.personId) : null;
  if (!person || (actor.role !== 'staff' && actor.role !== 'director')) throw new NotFound();
  const read = await purposeBoundRead(deps, {
    reader: input,
    companyId: person.company_id,
    targetIds: [person.id],
    purpose: input.purpose,
    allHeld: person.state === 'held',
    read: (key) => readNumber(deps, person, key),
    action: 'vault.reveal',
    details: (purposeKey, window) => ({ token: person.token, purposeKey, window }),
    damagedDetails: (kind) => ({ token: person.token, kind }),
    failureMarks: {},
    log: {
      fields: { personId: person.id, requestId },
      damaged: 'vault record could not be decrypted',
      notRecorded: 'reveal refused: its audit entry could not be written',
      errorName: true,
    },
  });
  return { number: read.result, person, purpose: read.purpose, windowExpiresAt: read.windowExpiresAt };
}

/** Data key → vault object → number. Every failure on the way is "damaged" (or "disposed"). */
async function readNumber(deps: RevealDeps, person: repo.PersonRow, officeKey: openpgp.PrivateKey): Promise<string> {
  const raws: Buffer[] = [];
  try {
    return await readCurrentNumber(deps, person, async (dataKeyId) => {
      const dk = await repo.findDataKey(deps.db, dataKeyId);
      if (!dk || dk.destroyedAt || !dk.wrapped) throw new VaultRecordDisposed();
      const raw = await unwrapKey(dk.wrapped, officeKey);
      raws.push(raw);
      return raw;
    });
  } finally {
    for (const raw of raws) raw.fill(0);
  }
}

/**
 * The person's number under the token and key their row names now. A reseal
 * (reseal.ts) may move the record between the caller's read of the row and
 * this one: the row is read again, and when the record is missing because
 * the row moved meanwhile, the new one is read — never a false "damaged".
 * With `justRead`, `person` is a row the caller has just read (a bulk read
 * reads 500 at a time, bulk-read.ts) and serves as the first reading.
 */
export type RecordRow = Pick<repo.PersonRow, 'id' | 'state' | 'token' | 'data_key_id'>;

export async function readCurrentNumber(deps: RevealDeps, person: RecordRow, dataKey: (dataKeyId: string) => Promise<Buffer>, justRead = false): Promise<string> {
  let row: RecordRow = person;
  for (let attempt = 0; ; attempt++) {
    const now: RecordRow | null = attempt === 0 && justRead ? person : await repo.findPerson(deps.db, person.id);
    if (!now || now.state !== 'held') throw new VaultRecordDisposed();
    row = now;
    try {
      const bytes = await readRecord(deps, row.token);
      return decryptRecord(await dataKey(row.data_key_id), row.token, bytes);
    } catch (err) {
      const moved = (await repo.findPerson(deps.db, person.id))?.token !== row.token;
      if (attempt < 2 && moved && err instanceof VaultRecordDamaged) continue;
      throw err;
    }
  }
}

/** The object's bytes, reading at most one byte more than a record has (a swollen object is damage too). */
export async function readRecord(deps: Pick<Deps, 'storage'>, token: string): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = await deps.storage.vault.get(token);
  } catch (err) {
    if (err instanceof StorageNotFoundError) throw new VaultRecordDamaged();
    throw err;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size > RECORD_BYTES) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}
