import type { Transaction } from 'kysely';
import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext, type AuditEvent } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import type { DisposalSubjectKind } from '../db/tables/disposal.js';
import type { Deps } from '../deps.js';
import { failpoint, type FailpointName } from '../failpoints.js';
import { randomId } from '../lib/random.js';
import { whatIsLeft } from '../../storage-adapters/gone.js';
import { DisposalNotVerified } from './errors.js';
import { insertDisposal, type DisposedObject } from './repo.js';

/** What a record says was done: delete through the adapter, which removes every version, delete marker, pending upload and temp copy. */
export const DELETE_ALL_VERSIONS = 'storage-delete-all-versions';
/** How the record says absence was checked: the adapter lists no remnant and `head` answers not-found. */
export const VERIFIED_BY_LISTING = 'remnants-empty-and-head-not-found';
/** The same for many objects at once: one listing of the store (remnantsMany) shows none of them, the objects themselves included. */
export const VERIFIED_BY_BULK_LISTING = 'remnants-empty-by-store-listing';
/** From this many objects in one store, verify with one listing rather than two requests per object. */
const VERIFY_IN_BULK_FROM = 64;

export type StorageLocation = keyof Deps['storage'];

export interface DisposalRequest {
  subject: { kind: DisposalSubjectKind; id: string };
  companyId: string;
  /** 削除理由 code (e.g. 'ingested'); shown through i18n. */
  reason: string;
  objects: readonly { location: StorageLocation; key: string; sha256: string | null; size: number | null }[];
  by: { userId: string | null; role: string | null; requestId?: string };
  audit: { action: string; purpose: string; targetIds: string[]; details: NonNullable<AuditEvent['details']> };
  /** i18n key of the error when an object is still there after the delete. */
  notVerifiedMessage: string;
  /** Crash points of the caller's flow (server/failpoints.ts). */
  failpoints?: { afterDelete?: FailpointName; afterRecord?: FailpointName };
  /**
   * A further check after the listing showed every object gone and before
   * anything is recorded (a retention batch's decrypt attempt). Throw to
   * record nothing; its time is the record's `verifiedAt`.
   */
  beforeRecord?: () => Promise<void>;
  /**
   * The caller's own state change, inside the record's transaction (a job →
   * done, a drop → disposed). Return false when another process finished the
   * subject meanwhile: nothing is recorded then. Throw to roll everything back.
   */
  within(trx: Transaction<Database>, verifiedAt: string): Promise<boolean>;
}

/**
 * The one disposal routine (P5: honest disposal), for ingested originals
 * today and for bundles and retention cohorts next. Steps, each safe to
 * repeat after a crash (a delete of what is gone is a no-op):
 *  1. delete every object through its adapter (all versions, remnants);
 *  2. verify each by listing: `remnants()` empty and `head` not-found;
 *  3. ONE transaction: the caller's state change, the record (exactly what
 *     was deleted and how it was checked: no "overwritten N times", no
 *     crypto-erase claim — a caller that destroys keys records that itself,
 *     once the vault has verified it), and the audit entry.
 * If verification fails nothing is recorded and DisposalNotVerified is thrown;
 * the caller's state is unchanged, so recovery tries again. Returns false
 * when `within` found nothing (left) to do.
 */
export async function dispose(deps: Deps, req: DisposalRequest): Promise<boolean> {
  const byLocation = new Map<StorageLocation, string[]>();
  for (const o of req.objects) byLocation.set(o.location, [...(byLocation.get(o.location) ?? []), o.key]);
  for (const [location, keys] of byLocation) {
    const store = deps.storage[location];
    if (keys.length === 1) await store.delete(keys[0]!);
    else await store.deleteMany(keys);
  }
  if (req.failpoints?.afterDelete) failpoint(req.failpoints.afterDelete);

  let verification = VERIFIED_BY_LISTING;
  for (const [location, keys] of byLocation) {
    const store = deps.storage[location];
    if (keys.length < VERIFY_IN_BULK_FROM) {
      for (const key of keys) {
        const left = await whatIsLeft(store, key);
        if (left.remnants > 0 || !left.headGone) {
          deps.logger.error({ subject: req.subject, location, ...left }, 'object still present after delete; disposal not recorded');
          throw new DisposalNotVerified(req.notVerifiedMessage);
        }
      }
      continue;
    }
    // Many objects (a cohort's records): one listing answers for all of them; a remnant includes the object itself.
    const left = await store.remnantsMany(keys);
    if (left.size > 0) {
      deps.logger.error({ subject: req.subject, location, objectsLeft: left.size }, 'objects still present after delete; disposal not recorded');
      throw new DisposalNotVerified(req.notVerifiedMessage);
    }
    verification = VERIFIED_BY_BULK_LISTING;
  }
  if (req.beforeRecord) await req.beforeRecord();
  const verifiedAt = deps.clock.now().toISOString();
  const objects: DisposedObject[] = req.objects.map((o) => ({
    location: o.location, backend: deps.storage[o.location].kind, key: o.key, sha256: o.sha256, size: o.size,
  }));

  const recorded = await deps.db.transaction().execute(async (trx) => {
    if (!(await req.within(trx, verifiedAt))) return false;
    await insertDisposal(trx, {
      id: randomId(16), companyId: req.companyId, subject: req.subject, reason: req.reason, method: DELETE_ALL_VERSIONS,
      verification, verifiedAt, byUser: req.by.userId, createdAt: verifiedAt, objects,
    });
    const acting = requestActing(auditContext(deps), { userId: req.by.userId, role: req.by.role ?? 'system', requestId: req.by.requestId ?? null });
    await record(trx, acting, {
      action: req.audit.action,
      companyId: req.companyId,
      targetIds: req.audit.targetIds,
      purpose: req.audit.purpose,
      details: req.audit.details,
    });
    return true;
  });
  if (!recorded) return false;
  if (req.failpoints?.afterRecord) failpoint(req.failpoints.afterRecord);
  return true;
}
