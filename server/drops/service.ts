import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import { sessionStillLive } from '../auth/repo.js';
import type { Deps } from '../deps.js';
import { NotFound, Unauthorized } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { randomId, randomStorageKey } from '../lib/random.js';
import { noteArrival } from '../notify/service.js';
import { officeRecipient } from './office-recipient.js';
import { receiptKey, receiptOf, signReceipt, type SignedReceipt } from './receipts.js';
import * as repo from './repo.js';
import { receiveFiles, removeAll } from './upload-stream.js';

/**
 * Receiving drops, as the client experiences it: send files, get a receipt
 * for each, see them in the room's history.
 *
 * Durability (P9: an acknowledged upload is never lost) — the crash windows:
 *
 *  1. While streaming: the adapter holds a temp file (local `.tmp/`) or an
 *     incomplete multipart upload (S3), ciphertext only. No row, no ack: the
 *     client sees a failed upload and sends again. Restarting leaves the temp
 *     behind; the orphan sweep (reconcile.ts) and the adapter's own cleanup
 *     remove it.
 *  2. After the put resolved (object fsync'd and named), before the DB commit:
 *     an object without a row, still no ack. Same as 1: retried by the
 *     client, the orphan is swept later.
 *  3. After the commit, before the response reached the client: row and
 *     object both durable; the client may send the file again and get a
 *     second drop — a duplicate, never a loss. The room history shows both.
 *  4. After the response: nothing can be lost; the ack was sent only after
 *     the commit (SQLite synchronous=FULL, PostgreSQL's commit).
 *
 * Object first, row second, ack last: a row never points at a missing
 * object, and the client never holds a receipt for something not committed.
 */

export interface Uploader extends Pick<Actor, 'userId' | 'role' | 'sessionId'> {
  companyId: string;
}

export interface Upload {
  headers: IncomingHttpHeaders;
  body: Readable & { complete?: boolean };
}

/** How many drops a room's history shows. */
export const HISTORY_LIMIT = 500;

/** Drop ids are randomId(16): 22 base64url characters. Anything else is not one of ours. */
export function looksLikeDropId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id);
}

export async function receiveDrops(deps: Deps, who: Uploader, upload: Upload, meta: { requestId?: string } = {}): Promise<DropRecord[]> {
  const recipient = await officeRecipient(deps.db);
  const stored = await receiveFiles(upload.headers, upload.body, {
    storage: deps.storage.drops,
    recipient,
    limits: deps.config.limits.upload,
    newKey: () => randomStorageKey('d'),
    encrypt: deps.config.uploadEncrypt,
  });

  const createdAt = deps.clock.now().toISOString();
  const drops: DropRecord[] = stored.map((s) => ({
    id: randomId(16),
    companyId: who.companyId,
    uploadedBy: who.userId,
    fileName: s.fileName,
    storedKey: s.storedKey,
    size: s.size,
    sha256: s.sha256,
    kind: s.kind,
    state: 'received',
    createdAt,
  }));

  try {
    await deps.db.transaction().execute(async (trx) => {
      // Write first (SQLite: a transaction that starts with a write waits for
      // the lock instead of failing with SQLITE_BUSY_SNAPSHOT).
      await repo.insertDrops(trx, drops);
      // The session may have been revoked or logged out while the bytes were
      // streaming (minutes for a large file): then nothing is kept.
      if (!(await sessionStillLive(trx, who.sessionId))) throw new Unauthorized();
      await record(trx, requestActing(auditContext(deps), { userId: who.userId, role: who.role, companyId: who.companyId, requestId: meta.requestId ?? null }), {
        action: 'drop.receive',
        targetIds: drops.map((d) => d.id),
        // Counts only: no names, no sizes of single files.
        details: {
          files: drops.length,
          clientEncrypted: drops.filter((d) => d.kind === 'client-encrypted').length,
          serverEncrypted: drops.filter((d) => d.kind === 'server-encrypted').length,
        },
      });
    });
  } catch (err) {
    // No orphan: the objects go when their rows could not be written.
    await removeAll(deps.storage.drops, stored.map((s) => s.storedKey));
    throw err;
  }

  // After the commit; never fails the (already durable) upload.
  await noteArrival(deps, { companyId: who.companyId, dropIds: drops.map((d) => d.id) });
  deps.logger.info({ companyId: who.companyId, drops: drops.length, requestId: meta.requestId }, 'drops received');
  return drops;
}

export type DropRecord = repo.DropRecord;

export function listDrops(deps: Deps, companyId: string): Promise<DropRecord[]> {
  return repo.listCompanyDrops(deps.db, companyId, HISTORY_LIMIT);
}

/** The company's drop; another company's id answers exactly like a random one (P7). */
export async function findDrop(deps: Deps, companyId: string, id: string): Promise<DropRecord> {
  if (!looksLikeDropId(id)) throw new NotFound();
  const d = await repo.findCompanyDrop(deps.db, companyId, id);
  if (!d) throw new NotFound();
  return d;
}

export function signedReceipt(deps: Deps, drop: DropRecord): SignedReceipt {
  return signReceipt(receiptKey(deps.config.secretsDir), receiptOf(drop));
}
