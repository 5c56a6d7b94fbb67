import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { IN_CHUNK } from './scope-repo.js';

/**
 * What collection from employees (issue 18) leaves in the drops location, as
 * breach scoping reads it: submissions (the numbers as the employee typed
 * them, with the identity images) and kept identity image sets (a card's back
 * shows the number). Ids, companies and states only — never a name, an image
 * or a number. "In the location at `asOf`" means what the drops rows mean:
 * created by then, and not destroyed (disposed) by then.
 */
export interface SubmissionInBucket {
  id: string;
  company_id: string;
  /** True when a confirmation took its people in: kinko knows them (persons.source_drop_id). */
  confirmed: boolean;
}

export async function submissionsInBucket(db: Kysely<Database>, f: { companyId?: string; asOf?: string }): Promise<SubmissionInBucket[]> {
  let q = db
    .selectFrom('collect_submissions as s')
    .leftJoin('disposals as d', (j) => j.onRef('d.subject_id', '=', 's.id').on('d.subject_kind', '=', 'drop'))
    .select(['s.id', 's.company_id', 's.state', 'd.reason']);
  if (f.companyId) q = q.where('s.company_id', '=', f.companyId);
  if (f.asOf) {
    const asOf = f.asOf;
    q = q.where('s.created_at', '<=', asOf).where((eb) => eb.or([eb('s.state', '!=', 'disposed'), eb('s.updated_at', '>', asOf)]));
  } else {
    q = q.where('s.state', '!=', 'disposed');
  }
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, company_id: r.company_id, confirmed: r.state === 'confirmed' || (r.state === 'disposed' && r.reason === 'collect-confirmed') }));
}

export interface KeptSetInBucket {
  id: string;
  company_id: string;
  submission_id: string;
  person_id: string | null;
}

/** Kept identity image sets in the drops location (being stored, or kept), now or at `asOf`. */
export async function keptImagesInBucket(db: Kysely<Database>, f: { companyId?: string; asOf?: string }): Promise<KeptSetInBucket[]> {
  let q = db.selectFrom('collect_kept_images').select(['id', 'company_id', 'submission_id', 'person_id']);
  if (f.companyId) q = q.where('company_id', '=', f.companyId);
  if (f.asOf) {
    const asOf = f.asOf;
    q = q.where('created_at', '<=', asOf).where((eb) => eb.or([eb('state', '!=', 'disposed'), eb('updated_at', '>', asOf)]));
  } else {
    q = q.where('state', 'in', ['storing', 'kept']);
  }
  return q.execute();
}

/** The kept sets of these ids (what a viewer of kept images saw), with the roles of the images. */
export async function keptSetsByIds(db: Kysely<Database>, ids: readonly string[]): Promise<Array<KeptSetInBucket & { roles: string }>> {
  const out: Array<KeptSetInBucket & { roles: string }> = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    out.push(...(await db.selectFrom('collect_kept_images').select(['id', 'company_id', 'submission_id', 'person_id', 'roles']).where('id', 'in', ids.slice(i, i + IN_CHUNK)).execute()));
  }
  return out;
}

/** Submission id → the employee (本人) kinko knows for it: from a kept set naming them, else the 本人 its confirmation created. */
export async function employeesOfSubmissions(db: Kysely<Database>, submissionIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < submissionIds.length; i += IN_CHUNK) {
    const chunk = submissionIds.slice(i, i + IN_CHUNK);
    const kept = await db.selectFrom('collect_kept_images').select(['submission_id', 'person_id']).where('submission_id', 'in', chunk).where('state', '!=', 'storing').where('person_id', 'is not', null).execute();
    for (const k of kept) if (k.person_id) out.set(k.submission_id, k.person_id);
    // Second, so it wins: a person row that exists, where a kept set may name one a killed confirmation never committed.
    const created = await db.selectFrom('persons').select(['id', 'source_drop_id']).where('source_drop_id', 'in', chunk).where('relation', '=', '本人').execute();
    for (const p of created) if (p.source_drop_id) out.set(p.source_drop_id, p.id);
  }
  return out;
}
