import type { Transaction } from 'kysely';
import { requestActing } from '../audit/acting.js';
import { record, type RecordedEvent } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { Actor } from '../http/policies.js';

/** Who is acting, as services need it: never req/res, only ids for the audit trail. */
export interface Acting {
  userId: string;
  role: Actor['role'];
  requestId: string | null;
}

export function actingFrom(actor: Actor, requestId: unknown): Acting {
  return { userId: actor.userId, role: actor.role, requestId: typeof requestId === 'string' ? requestId : null };
}

/** One audit entry for a console action, inside the transaction of the change it describes. */
export function auditAs(trx: Transaction<Database>, deps: Deps, acting: Acting, event: RecordedEvent) {
  return record(trx, requestActing(auditContext(deps), acting), { companyId: null, ...event });
}
