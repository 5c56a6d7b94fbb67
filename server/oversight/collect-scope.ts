import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PeopleTally } from './people-tally.js';
import * as collect from './scope-collect-repo.js';
import * as repo from './scope-repo.js';

/**
 * Breach scoping of what collection from employees (issue 18) holds
 * (issue 16 §3). In the drops location, encrypted to the office key:
 *  - kept identity image sets: the employee whose card they show (`person_id`)
 *    counts in the state officeKey, like a drop not yet destroyed;
 *  - submissions: a confirmed one's people are known (the persons it
 *    created); one not confirmed — not opened yet, or sent back — holds people
 *    kinko does not record until a confirmation, so it is counted per company
 *    as a file, the way unread drops are, and explained as the employees'
 *    own submissions.
 * And for a staff account in a window: a submission or kept set it opened
 * showed the employee's card — the number in a picture — so that employee
 * counts as plain.
 */
export interface CollectFacts {
  tally: PeopleTally;
  /** company → submissions whose people kinko does not know (each once, whatever led to it). */
  unconfirmed: Map<string, Set<string>>;
  /** company → identity image sources in scope (kept sets, opened sets or submissions; an unconfirmed submission holds the employee's images too): what the 項目 line names. */
  images: Map<string, number>;
  evidence: { submissionsHeld?: number; keptImageSets?: number; imageViews?: number };
}

export async function addCollectedInBucket(db: Kysely<Database>, g: CollectFacts, f: { companyId?: string; asOf?: string }): Promise<void> {
  const subs = await collect.submissionsInBucket(db, f);
  for (const s of subs) if (!s.confirmed) unknown(g, s.company_id, s.id);
  g.tally.add(await repo.personsFromDrops(db, subs.filter((s) => s.confirmed).map((s) => s.id)), 'officeKey');
  const kept = await collect.keptImagesInBucket(db, f);
  for (const k of kept) image(g, k.company_id);
  const persons = await repo.personsByIds(db, [...new Set(kept.flatMap((k) => (k.person_id ? [k.person_id] : [])))]);
  g.tally.add(persons, 'officeKey');
  const known = new Set(persons.map((p) => p.id));
  // A set whose employee kinko cannot name (a confirmation killed while storing it): counted with its submission.
  for (const k of kept) if (!k.person_id || !known.has(k.person_id)) unknown(g, k.company_id, k.submission_id);
  g.evidence.submissionsHeld = subs.length;
  g.evidence.keptImageSets = kept.length;
}

/** Images that show the number: the card's back, or the notification card. */
const SHOWS_NUMBER = new Set(['cardBack', 'notificationCard']);

export async function addCollectViews(db: Kysely<Database>, g: CollectFacts, window: { actorId: string; from: string; to: string }): Promise<void> {
  const keptIds: string[] = [];
  const viewed: Array<{ company: string; submission: string }> = [];
  let views = 0;
  for await (const page of repo.actorEntries(db, { ...window, actions: ['collect.viewed', 'collect.imagesViewed'] })) {
    for (const entry of page) {
      const ids = repo.targetIds(entry.target_ids);
      views++;
      if (entry.company_id) image(g, entry.company_id);
      if (entry.action === 'collect.imagesViewed' && ids[2]) keptIds.push(ids[2]);
      else if (entry.action === 'collect.viewed' && ids[1] && entry.company_id) viewed.push({ company: entry.company_id, submission: ids[1] });
    }
  }
  const sets = (await collect.keptSetsByIds(db, [...new Set(keptIds)])).filter((k) => k.roles.split(',').some((r) => SHOWS_NUMBER.has(r)));
  const employees = await collect.employeesOfSubmissions(db, [...new Set(viewed.map((v) => v.submission))]);
  const wanted = new Map<string, { company: string; submission: string }>();
  for (const k of sets) if (k.person_id) wanted.set(k.person_id, { company: k.company_id, submission: k.submission_id });
  for (const v of viewed) {
    const p = employees.get(v.submission);
    if (p) wanted.set(p, v);
  }
  const persons = await repo.personsByIds(db, [...wanted.keys()]);
  g.tally.add(persons, 'plain');
  const known = new Set(persons.map((p) => p.id));
  for (const k of sets) if (!k.person_id || !known.has(k.person_id)) unknown(g, k.company_id, k.submission_id);
  for (const v of viewed) if (!known.has(employees.get(v.submission) ?? '')) unknown(g, v.company, v.submission);
  if (views > 0) g.evidence.imageViews = views;
}

function image(g: CollectFacts, companyId: string): void {
  g.images.set(companyId, (g.images.get(companyId) ?? 0) + 1);
}

function unknown(g: CollectFacts, companyId: string, submissionId: string): void {
  image(g, companyId);
  const set = g.unconfirmed.get(companyId) ?? new Set<string>();
  set.add(submissionId);
  g.unconfirmed.set(companyId, set);
}
