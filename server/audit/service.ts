import { lockedForUpdate } from '../db/dialect.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { REDACTED, redactMyNumbers } from '../log/redact.js';
import { GENESIS, macOf, type ChainFields } from './chain.js';

export type AuditResult = 'ok' | 'denied' | 'failed';

/** One event as services describe it. Ids and counts only: never a number, password, code or key. */
export interface AuditEvent {
  action: string;
  actorId?: string | null;
  actorRole?: string | null;
  companyId?: string | null;
  targetIds?: string[];
  purpose?: string | null;
  result?: AuditResult;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export interface AuditContext {
  key: Buffer;
  now: () => Date;
}

/** The audit context of the running app: its audit key and its clock. */
export function auditContext(deps: { secrets: { audit: Buffer }; clock: { now(): Date } }): AuditContext {
  return { key: deps.secrets.audit, now: () => deps.clock.now() };
}

/**
 * Appends one entry inside the caller's transaction, so the entry and the
 * change it describes commit together — and if the entry cannot be written,
 * the change is rolled back with it. The head row is locked (FOR UPDATE on
 * PostgreSQL; SQLite serialises writers) so concurrent appends cannot fork the chain.
 */
export async function appendAudit(trx: Transaction<Database> | Kysely<Database>, ctx: AuditContext, event: AuditEvent): Promise<number> {
  const head = await lockedHead(trx);
  const seq = Number(head.seq) + 1;
  const fields: ChainFields = {
    seq,
    at: ctx.now().toISOString(),
    actor_id: event.actorId ?? null,
    actor_role: event.actorRole ?? null,
    company_id: event.companyId ?? null,
    action: event.action,
    // Defence in depth for P6: even a careless caller cannot put a My Number in
    // the trail — every free-text field is redacted, not only details.
    target_ids: JSON.stringify((event.targetIds ?? []).map((id) => redactMyNumbers(String(id)))),
    purpose: event.purpose == null ? null : redactMyNumbers(event.purpose),
    result: event.result ?? 'ok',
    request_id: event.requestId ?? null,
    details: JSON.stringify(redactDetails(event.details ?? {})),
    prev_hash: head.mac,
  };
  const mac = macOf(ctx.key, fields);
  await trx.insertInto('audit_log').values({ ...fields, result: fields.result as AuditResult, mac }).execute();
  await trx.updateTable('audit_head').set({ seq, mac }).where('id', '=', 1).execute();
  return seq;
}

/**
 * The chain head, locked until the caller's transaction ends. A trail that has
 * no head row yet (nothing ever recorded) gets the empty head first — seq 0 and
 * the genesis value, which verify and checkpoints read exactly as "no row" —
 * because FOR UPDATE on a row that does not exist locks nothing: the first
 * appends of a new trail, racing on PostgreSQL, all took seq 1 and all but one
 * failed (parallel first logins answered 500). ON CONFLICT DO NOTHING waits for
 * a racing insert of the row to commit, and the select after it, a statement of
 * its own, then sees that head and waits for its lock.
 */
async function lockedHead(trx: Transaction<Database> | Kysely<Database>): Promise<{ seq: number; mac: string }> {
  const select = () => lockedForUpdate(trx, trx.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1)).executeTakeFirst();
  const head = await select();
  if (head) return head;
  await trx.insertInto('audit_head').values({ id: 1, seq: 0, mac: GENESIS }).onConflict((oc) => oc.column('id').doNothing()).execute();
  const created = await select();
  if (!created) throw new Error('audit head row missing right after it was created');
  return created;
}

/**
 * Redacts each key and value before serialising: redacting the JSON text instead
 * would miss a number whose separators JSON escapes ("\n") and would turn a
 * numeric value into invalid JSON.
 */
function redactDetails(details: NonNullable<AuditEvent['details']>): Record<string, string | number | boolean | null> {
  // fromEntries defines own properties, so a "__proto__" key stays plain data.
  return Object.fromEntries(
    Object.entries(details).map(([k, v]) => {
      if (typeof v === 'string') return [redactMyNumbers(k), redactMyNumbers(v)];
      if (typeof v === 'number' && redactMyNumbers(String(v)) !== String(v)) return [redactMyNumbers(k), REDACTED];
      // Typed callers pass only flat values; anything else is kept as redacted text.
      if (v !== null && typeof v === 'object') return [redactMyNumbers(k), redactMyNumbers(JSON.stringify(v))];
      return [redactMyNumbers(k), v];
    }),
  );
}

