import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { markIngested } from '../drops/repo.js';
import { failpoint } from '../failpoints.js';
import { BadRequest, Conflict } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { randomId } from '../lib/random.js';
import { eachWithTurns } from '../lib/turns.js';
import { livePreview } from './columns.js';
import { destroyOriginal } from './dispose.js';
import { PreviewChanged, PreviewGone } from './errors.js';
import { candidateNumbers, planIngest, rowKey, type PlannedPerson, type PreviewEntry, type Selection } from './preview.js';
import * as repo from './repo.js';
import { insertReviewRows, type ReviewInsert } from './review-repo.js';
import { ingestRuntime } from './runtime.js';
import { departureReports, rosterDepartures } from './departures.js';
import { japanToday } from '../retention/calendar.js';
import { recordDepartures } from '../retention/service.js';
import { NumberInPersonRow, type Custody, type CustodyPerson } from '../vault/index.js';

export interface CommitCounts {
  personsAdded: number;
  duplicates: number;
  review: number;
  excluded: number;
}

export interface CommitOutcome {
  dropId: string;
  counts: CommitCounts;
  /** The original is destroyed and the disposal record written (else recovery finishes it). */
  destroyed: boolean;
}

/**
 * The confirmation: numbers into the vault, names into the database, the
 * original destroyed. The order is what makes a crash at any point safe (P9):
 *
 *  1. previewing → committing (a conditional UPDATE: a double click or a
 *     second tab cannot commit twice).
 *  2. The vault takes custody (server/vault/custody.ts): every record is
 *     written create-only and durable BEFORE the database transaction
 *     commits (where and when is the vault's choice). A crash here leaves
 *     vault objects no row references — orphans reconcile.ts deletes — and a
 *     job that is released again: the drop is intact and the ingest can be
 *     retried.
 *  3. ONE transaction: persons rows, review rows, job → committed with the
 *     counts, drop → ingested, and the audit entry (counts only). Either all
 *     of it is durable or none.
 *  4. Only then the original is destroyed (dispose.ts); a crash before that
 *     finishes leaves a committed job that recovery completes.
 */
export async function confirmIngest(
  deps: Deps,
  actor: Actor,
  jobId: string,
  form: Selection & { version: number; departures?: boolean },
  meta: { requestId?: string } = {},
): Promise<CommitOutcome> {
  const rt = ingestRuntime(deps);
  const { job, entry } = await livePreview(deps, actor, jobId);
  if (entry.version !== form.version) throw new PreviewChanged();
  if (!(await repo.moveJob(deps.db, job.id, job.attempt, ['previewing'], 'committing', deps.clock.now().toISOString()))) throw new PreviewGone();

  // Every number the file could add is sealed now, on the other core for a
  // large file (a worker thread), while this thread plans and prepares the
  // persons rows; the records of those the plan does not add are dropped.
  const custody: Custody = entry.session.takeCustody(candidateNumbers(entry.result));
  try {
    const plan = await planIngest(deps.db, entry, form);
    const adds = plan.persons.filter((p) => p.status === 'add');

    const counts: CommitCounts = { personsAdded: adds.length, duplicates: plan.counts.duplicates, review: plan.counts.review, excluded: plan.counts.excluded };
    const now = deps.clock.now().toISOString();
    // Exactly the held rows the preview listed and counted (plan.held).
    const reviewRows: ReviewInsert[] = plan.held
      .map((h) => (h.kind === 'review' ? { ...h.review.row, relation: h.review.relation } : { ...h.person.person, reason: 'number-change', relation: h.person.relation }))
      .map((r) => ({
        id: randomId(16),
        jobId: job.id,
        dropId: job.dropId,
        companyId: job.companyId,
        reason: r.reason,
        sheet: r.sheet,
        row: r.row,
        page: r.page ?? null,
        column: r.column ?? null,
        name: r.name || null,
        relation: r.relation,
        employeeCode: r.employeeCode ?? null,
        now,
      }));

    // A long write to a remote vault keeps its job fresh, so nobody takes it for abandoned.
    const keepAlive = () => repo.moveJob(deps.db, job.id, job.attempt, ['committing'], 'committing', deps.clock.now().toISOString()).then(() => {});
    const custodyPersons = await personRows(entry, adds, plan.persons);
    // The roster's 退職日, recorded only when staff ticked it on the preview (departures.ts).
    const departures = form.departures ? departureReports(rosterDepartures(plan, japanToday(deps.clock.now())), new Map(custodyPersons.map((p) => [p.key, p.id]))) : [];
    await custody.stage(custodyPersons, { keepAlive });

    await deps.db.transaction().execute(async (trx) => {
      if (!(await repo.markCommitted(trx, { id: job.id, attempt: job.attempt, userId: actor.userId, now, counts }))) throw new PreviewGone();
      if (!(await markIngested(trx, job.dropId, now))) throw new Conflict('ingestFlow.errors.notIngestable');
      await custody.commit(trx);
      await insertReviewRows(trx, reviewRows);
      if (departures.length > 0) {
        await recordDepartures(trx, deps, { userId: actor.userId, role: actor.role, requestId: meta.requestId ?? null }, { companyId: job.companyId, via: 'ingest', reports: departures });
      }
      await record(trx, requestActing(auditContext(deps), { userId: actor.userId, role: actor.role, requestId: meta.requestId ?? null }), {
        action: 'ingest.commit',
        companyId: job.companyId,
        targetIds: [job.dropId],
        purpose: '個人番号の受領・保管',
        // Counts only (P6): never a number, a name or a token.
        details: { ...counts, jobId: job.id },
      });
    });
  } catch (err) {
    // A lost answer to a COMMIT that did happen (a dropped PostgreSQL
    // connection) must not undo the vault writes it references.
    if ((await repo.findJob(deps.db, job.id).catch(() => null))?.state === 'committed') throw err;
    // Nothing of this attempt is in the database; its vault records would be
    // orphans. Remove them now (reconcile.ts catches what this misses) and
    // give the drop back, intact.
    await custody.abandon().catch(() => {});
    await repo.releaseJob(deps.db, { id: job.id, attempt: job.attempt, state: 'committing' }, deps.clock.now().toISOString(), 'ingestFlow.errors.commitFailed').catch(() => false);
    rt.cache.evict(job.id);
    deps.logger.warn({ jobId: job.id, dropId: job.dropId, written: custody.written, err: (err as Error).name, requestId: meta.requestId }, 'ingest commit failed; vault writes undone, drop left intact');
    // The vault refuses a name (or other text) that holds a My Number (P3): say so plainly.
    if (err instanceof NumberInPersonRow) throw new BadRequest('ingestFlow.errors.numberInText');
    throw err;
  }
  rt.cache.evict(job.id); // the plaintext and the keys go now
  const committed = (await repo.findJob(deps.db, job.id))!;
  deps.logger.info({ jobId: job.id, dropId: job.dropId, ...committed.counts, requestId: meta.requestId }, 'ingest committed');
  failpoint('ingest.after-commit');

  let destroyed = false;
  try {
    destroyed = await destroyOriginal(deps, job.id, { userId: actor.userId, role: actor.role, requestId: meta.requestId });
  } catch (err) {
    // The commit is durable; the original stays until recovery (or a retry from the drop page) destroys it.
    deps.logger.error({ jobId: job.id, dropId: job.dropId, err: (err as Error).name, requestId: meta.requestId }, 'original not destroyed yet; recovery will retry');
  }
  return { dropId: job.dropId, counts: committed.counts!, destroyed };
}

/**
 * The persons the vault takes custody of, one per added person (the number
 * is the sealed candidate of the same plan key). A
 * dependent is linked to the employee on the same row of the file — a person
 * added now or one already held.
 */
async function personRows(
  entry: { dropId: string },
  adds: PlannedPerson[],
  all: PlannedPerson[],
): Promise<CustodyPerson[]> {
  // 80,000 random ids take a while: the event loop turns meanwhile (lib/turns.ts).
  const idOfKey = new Map<string, string>();
  const ids: string[] = [];
  await eachWithTurns(adds, (p) => {
    const id = randomId();
    idOfKey.set(p.key, id);
    ids.push(id);
  });
  const employeeOfRow = new Map<string, string>();
  for (const p of all) {
    if (p.relation !== '本人') continue;
    const id = p.status === 'add' ? idOfKey.get(p.key) : p.status === 'duplicate' && p.heldKey ? resolveHeld(p.heldKey, idOfKey) : undefined;
    if (id && !employeeOfRow.has(rowKey(p.person))) employeeOfRow.set(rowKey(p.person), id);
  }
  return adds.map((p, i) => ({
    key: p.key,
    id: ids[i]!,
    name: p.person.name,
    furigana: p.person.furigana ?? null,
    employeeCode: p.person.employeeCode ?? null,
    relation: p.relation,
    employeePersonId: p.relation === '本人' ? null : (employeeOfRow.get(rowKey(p.person)) ?? null),
    sourceDropId: entry.dropId,
    sourceSheet: p.person.sheet,
    sourceRow: p.person.row,
  }));
}

function resolveHeld(heldKey: string, idOfKey: Map<string, string>): string | undefined {
  return heldKey.startsWith('held:') ? heldKey.slice('held:'.length) : idOfKey.get(heldKey);
}
