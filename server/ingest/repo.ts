import { toRecord, type DropRecord } from '../drops/repo.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { IngestJobState } from '../db/tables/ingest.js';

/**
 * Queries of the ingest flow: jobs and the few drop columns ingest reads or
 * moves (review rows: review-repo.ts; disposal records: server/disposal/). Plain objects out. Nothing here
 * ever takes or returns a My Number (P3).
 */
type Db = Kysely<Database> | Transaction<Database>;

export interface JobRecord {
  id: string;
  dropId: string;
  companyId: string;
  state: IngestJobState;
  attempt: number;
  claimedBy: string | null;
  claimedByName: string | null;
  claimedAt: string | null;
  instanceId: string | null;
  lastError: string | null;
  /** The last attempt failed for a reason in the file (lastError): a retry must be deliberate (migration 0013). */
  unreadable: { at: string; count: number } | null;
  counts: { personsAdded: number; duplicates: number; review: number; excluded: number } | null;
  committedBy: string | null;
  committedAt: string | null;
  doneAt: string | null;
  updatedAt: string;
}

/** States in which somebody is working on the drop right now. */
export const ACTIVE_STATES: readonly IngestJobState[] = ['claimed', 'previewing', 'committing'];

function jobQuery(db: Db) {
  return db
    .selectFrom('ingest_jobs as j')
    .leftJoin('users as u', 'u.id', 'j.claimed_by')
    .select([
      'j.id', 'j.drop_id', 'j.company_id', 'j.state', 'j.attempt', 'j.claimed_by', 'u.display_name as claimed_by_name',
      'j.claimed_at', 'j.instance_id', 'j.last_error', 'j.unreadable_at', 'j.unreadable_count', 'j.persons_added', 'j.duplicates', 'j.review_count', 'j.excluded',
      'j.committed_by', 'j.committed_at', 'j.done_at', 'j.updated_at',
    ]);
}

type JobRow = Awaited<ReturnType<ReturnType<typeof jobQuery>['executeTakeFirstOrThrow']>>;

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    dropId: r.drop_id,
    companyId: r.company_id,
    state: r.state,
    attempt: Number(r.attempt),
    claimedBy: r.claimed_by,
    claimedByName: r.claimed_by_name ?? null,
    claimedAt: r.claimed_at,
    instanceId: r.instance_id,
    lastError: r.last_error,
    unreadable: r.unreadable_at ? { at: r.unreadable_at, count: Number(r.unreadable_count) } : null,
    counts:
      r.persons_added == null
        ? null
        : { personsAdded: Number(r.persons_added), duplicates: Number(r.duplicates ?? 0), review: Number(r.review_count ?? 0), excluded: Number(r.excluded ?? 0) },
    committedBy: r.committed_by,
    committedAt: r.committed_at,
    doneAt: r.done_at,
    updatedAt: r.updated_at,
  };
}

export async function findJob(db: Db, id: string): Promise<JobRecord | null> {
  const r = await jobQuery(db).where('j.id', '=', id).executeTakeFirst();
  return r ? toJob(r) : null;
}

export async function findJobOfDrop(db: Db, dropId: string): Promise<JobRecord | null> {
  const r = await jobQuery(db).where('j.drop_id', '=', dropId).executeTakeFirst();
  return r ? toJob(r) : null;
}

/** The job row of a drop, created released if it has none yet (idempotent under races). */
export async function ensureJob(db: Db, job: { id: string; dropId: string; companyId: string; now: string }): Promise<void> {
  await db
    .insertInto('ingest_jobs')
    .values({
      id: job.id, drop_id: job.dropId, company_id: job.companyId, state: 'released', attempt: 0,
      claimed_by: null, claimed_at: null, instance_id: null, last_error: null,
      persons_added: null, duplicates: null, review_count: null, excluded: null,
      committed_by: null, committed_at: null, done_at: null, created_at: job.now, updated_at: job.now,
    })
    .onConflict((oc) => oc.column('drop_id').doNothing())
    .execute();
}

/**
 * The claim: one conditional UPDATE, so of two staff starting at once exactly
 * one changes the row. Takes a released job, or one whose holder went quiet
 * before `staleBefore` (a crashed or abandoned ingest), or the caller's own
 * (pressing "start" again restarts their attempt).
 */
export async function claimJob(
  db: Db,
  c: { dropId: string; userId: string; instanceId: string; now: string; staleBefore: string; deadBefore?: string },
): Promise<boolean> {
  const r = await db
    .updateTable('ingest_jobs')
    .set((eb) => ({
      state: 'claimed',
      attempt: eb('attempt', '+', 1),
      claimed_by: c.userId,
      claimed_at: c.now,
      instance_id: c.instanceId,
      last_error: null,
      updated_at: c.now,
    }))
    .where('drop_id', '=', c.dropId)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'released'),
        eb.and([eb('state', 'in', ['claimed', 'previewing']), eb.or([eb('updated_at', '<', c.staleBefore), eb('claimed_by', '=', c.userId)])]),
        eb.and([eb('state', '=', 'committing'), eb('updated_at', '<', c.staleBefore)]),
        // Held by an instance that is gone (instances.ts): its preview died with it.
        ...(c.deadBefore ? [eb.and([eb('state', 'in', [...ACTIVE_STATES]), eb('instance_id', 'in', deadInstances(db, c.deadBefore))])] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Ids of instances that stopped, or last refreshed their row before `deadBefore` (migration 0016). */
function deadInstances(db: Db, deadBefore: string) {
  return db
    .selectFrom('kinko_instances')
    .select('id')
    .where((eb) => eb.or([eb('stopped_at', 'is not', null), eb('seen_at', '<', deadBefore)]));
}

/** Moves one attempt of a job between states; false when the job moved on (another attempt, another state). */
export async function moveJob(
  db: Db,
  id: string,
  attempt: number,
  from: readonly IngestJobState[],
  to: IngestJobState,
  now: string,
  extra: { lastError?: string | null; readable?: true } = {},
): Promise<boolean> {
  const r = await db
    .updateTable('ingest_jobs')
    .set({
      state: to,
      updated_at: now,
      ...(extra.lastError !== undefined ? { last_error: extra.lastError } : {}),
      // The file was read this time: it is no longer marked unreadable.
      ...(extra.readable ? { unreadable_at: null } : {}),
    })
    .where('id', '=', id)
    .where('attempt', '=', attempt)
    .where('state', 'in', [...from])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function markCommitted(
  db: Db,
  j: { id: string; attempt: number; userId: string; now: string; counts: { personsAdded: number; duplicates: number; review: number; excluded: number } },
): Promise<boolean> {
  const r = await db
    .updateTable('ingest_jobs')
    .set({
      state: 'committed',
      persons_added: j.counts.personsAdded,
      duplicates: j.counts.duplicates,
      review_count: j.counts.review,
      excluded: j.counts.excluded,
      committed_by: j.userId,
      committed_at: j.now,
      updated_at: j.now,
    })
    .where('id', '=', j.id)
    .where('attempt', '=', j.attempt)
    .where('state', '=', 'committing')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function markDone(db: Db, id: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('ingest_jobs')
    .set({ state: 'done', done_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'committed')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Jobs abandoned mid-way: active, and quiet since before `staleBefore` (or, with `notInstance`, held by another process). */
export async function staleJobs(db: Db, staleBefore: string, notInstance?: string): Promise<JobRecord[]> {
  const rows = await jobQuery(db)
    .where('j.state', 'in', [...ACTIVE_STATES])
    .where((eb) =>
      notInstance
        ? eb.or([eb('j.updated_at', '<', staleBefore), eb('j.instance_id', 'is', null), eb('j.instance_id', '!=', notInstance)])
        : eb('j.updated_at', '<', staleBefore),
    )
    .execute();
  return rows.map(toJob);
}

/** Commits in progress (vault records being written by some process). */
export async function activeCommits(db: Db): Promise<JobRecord[]> {
  return (await jobQuery(db).where('j.state', '=', 'committing').execute()).map(toJob);
}

export async function committedJobs(db: Db): Promise<JobRecord[]> {
  return (await jobQuery(db).where('j.state', '=', 'committed').execute()).map(toJob);
}

/** Releases one abandoned attempt (only if it is still the one that was found). */
export async function releaseJob(db: Db, j: { id: string; attempt: number; state: IngestJobState }, now: string, lastError: string | null): Promise<boolean> {
  return moveJob(db, j.id, j.attempt, [j.state], 'released', now, { lastError });
}

// ---- drops as ingest sees them ------------------------------------------------

/** A drop as the office pages show it: the drops domain's record plus the company's name. */
export type OfficeDrop = DropRecord & { companyName: string };

function dropQuery(db: Db) {
  return db
    .selectFrom('drops as d')
    .innerJoin('companies as c', 'c.id', 'd.company_id')
    .select(['d.id', 'd.company_id', 'd.uploaded_by', 'c.name as company_name', 'd.file_name', 'd.stored_key', 'd.size', 'd.sha256', 'd.kind', 'd.state', 'd.created_at']);
}

function toDrop(r: Awaited<ReturnType<ReturnType<typeof dropQuery>['executeTakeFirstOrThrow']>>): OfficeDrop {
  return { ...toRecord(r), companyName: r.company_name };
}

export async function findOfficeDrop(db: Db, id: string): Promise<OfficeDrop | null> {
  const r = await dropQuery(db).where('d.id', '=', id).executeTakeFirst();
  return r ? toDrop(r) : null;
}

/** Every company's drops, newest first, with the state of their ingest job. */
export async function listOfficeDrops(db: Db, limit: number): Promise<Array<OfficeDrop & { jobState: IngestJobState | null; claimedByName: string | null; unreadable: boolean }>> {
  const rows = await dropQuery(db)
    .leftJoin('ingest_jobs as j', 'j.drop_id', 'd.id')
    .leftJoin('users as u', 'u.id', 'j.claimed_by')
    .select(['j.state as job_state', 'u.display_name as claimed_by_name', 'j.unreadable_at'])
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toDrop(r), jobState: r.job_state ?? null, claimedByName: r.claimed_by_name ?? null, unreadable: r.unreadable_at != null }));
}

