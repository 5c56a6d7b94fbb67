import { auditContext } from './service.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import type { AuditFilter } from './filter.js';
import { actionChoices, actorIdFor, companyChoices, countEntries, entryPages, listEntries, type AuditListRow, type ResolvedFilter } from './repo.js';
import { appendAudit } from './service.js';
import { verifyAudit, type VerifyResult } from './verify.js';
import { furthestCheckpoint } from './checkpoint-store.js';
import { loadOrCreateServerKey } from '../lib/server-key.js';

/**
 * The director's view of the trail: browse, export, verify. Reading the trail
 * changes nothing and is not itself recorded; exporting copies it out of
 * kinko, so it is recorded — with a purpose — before the first byte leaves.
 */
export const PAGE_SIZE = 50;
const MAX_PURPOSE = 200;

export interface Browse {
  rows: AuditListRow[];
  /** Seq to pass as `before` for the next (older) page, when there is one. */
  older?: number;
  companies: Array<{ id: string; name: string }>;
  actions: string[];
}

async function resolve(deps: Deps, f: AuditFilter): Promise<ResolvedFilter> {
  const { actor, ...rest } = f;
  return actor === undefined ? rest : { ...rest, actorId: await actorIdFor(deps.db, actor) };
}

export async function browseTrail(deps: Deps, f: AuditFilter, before?: number): Promise<Browse> {
  const rf = await resolve(deps, f);
  const page = await listEntries(deps.db, rf, { before, limit: PAGE_SIZE + 1 });
  const rows = page.slice(0, PAGE_SIZE);
  return {
    rows,
    older: page.length > PAGE_SIZE ? rows[rows.length - 1]!.seq : undefined,
    companies: await companyChoices(deps.db),
    actions: await actionChoices(deps.db),
  };
}

export interface ExportStart {
  /** Seq of the export's own audit entry. */
  seq: number;
  /** The file covers the matching entries up to this seq (the head when the export began). */
  upTo: number;
  rows: number;
  pages: AsyncGenerator<AuditListRow[]>;
}

/**
 * Records the export (one entry, with purpose, filter and row count) and only
 * then hands back the rows to stream. If the record cannot be written the
 * export does not happen (security.md: sensitive operations are refused when
 * the audit record cannot be written).
 */
export async function startExport(deps: Deps, actor: Actor, f: AuditFilter, purpose: string, requestId: string): Promise<ExportStart> {
  const why = purpose.trim();
  if (!why || why.length > MAX_PURPOSE) throw new BadRequest('audit.export.purposeRequired');
  const rf = await resolve(deps, f);
  const ctx = auditContext(deps);
  const { seq, upTo, rows } = await deps.db.transaction().execute(async (trx) => {
    const head = await trx.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
    const upTo = head ? Number(head.seq) : 0;
    const rows = await countEntries(trx, rf, upTo);
    const seq = await appendAudit(trx, ctx, {
      action: 'audit.export',
      actorId: actor.userId,
      actorRole: actor.role,
      companyId: f.companyId ?? null,
      purpose: why,
      requestId,
      details: {
        format: 'csv',
        rows,
        upToSeq: upTo,
        filterAction: f.action === undefined ? null : f.action + (f.actionPrefix ? '*' : ''),
        filterActor: rf.actorId ?? null,
        filterFrom: f.fromAt ?? null,
        filterTo: f.toAt ?? null,
        filterResult: f.result ?? null,
      },
    });
    return { seq, upTo, rows };
  });
  return { seq, upTo, rows, pages: entryPages(deps.db, rf, upTo) };
}

/** "Verify now": walks the chain and records that the director checked it, and what was found. */
export async function verifyTrail(deps: Deps, actor: Actor, requestId: string): Promise<VerifyResult> {
  // Compared with the server's furthest scheduled checkpoint, so an emptied or cut-off trail shows here too.
  const { furthest } = furthestCheckpoint(deps.config.auditCheckpoints.dir, loadOrCreateServerKey(deps.config.secretsDir));
  const result = await verifyAudit(deps.db, deps.secrets.audit, { checkpoint: furthest?.checkpoint });
  await deps.db.transaction().execute((trx) =>
    appendAudit(trx, auditContext(deps), {
      action: 'audit.verify',
      actorId: actor.userId,
      actorRole: actor.role,
      result: result.ok ? 'ok' : 'failed',
      requestId,
      details: { checked: result.checked, lastSeq: result.lastSeq, badSeq: result.problem?.seq ?? null, reason: result.problem?.reason ?? null, checkpointSeq: furthest?.checkpoint.seq ?? null },
    }),
  );
  return result;
}
