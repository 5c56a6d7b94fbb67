import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Acting } from './acting.js';
import { appendAudit, type AuditEvent } from './service.js';

/** What an action says about itself; who did it comes from the acting context. */
export type RecordedEvent = Omit<AuditEvent, 'actorId' | 'actorRole' | 'requestId'> & {
  /** The entry's time when the action fixed its own "now" (else the trail's clock). */
  at?: Date;
};

/**
 * The one audit writer: actor, role and request id come from `acting`, so a new
 * action cannot forget them. companyId is the event's when it names one (the
 * company acted on), else the actor's. Inside the caller's transaction (appendAudit).
 */
export function record(trx: Transaction<Database> | Kysely<Database>, acting: Acting, event: RecordedEvent): Promise<number> {
  const { at, ...rest } = event;
  const ctx = at ? { key: acting.trail.key, now: () => at } : acting.trail;
  return appendAudit(trx, ctx, {
    ...rest,
    actorId: acting.userId,
    actorRole: acting.role,
    companyId: 'companyId' in event ? event.companyId : acting.companyId,
    requestId: acting.requestId,
  });
}
