import type { Deps } from '../deps.js';
import { loadRules, retentionOfCompany, type PersonRetentionView } from './repo.js';

/**
 * Keeping the vault's cohorts in step with retention (issue 14 §3): each held
 * person belongs in the data key of their disposal month, so that one key's
 * destruction erases exactly the people due together. Where a person belongs:
 *
 *   an end date worked out (退職, 扶養から外れた, 契約終了, 削除予約) → end-YYYY-MM of that date;
 *   on hold (保留) → 'hold', apart (one hold never keeps a month's key alive);
 *   no end date (in service, or unknown basis) → stays in its ingest cohort
 *     (the year it came in); one who had been moved and no longer has a date
 *     (a departure corrected) goes to 'open', so no month's key waits on them.
 *
 * Moving needs the office key (the data keys exist only wrapped to it), so a
 * client's leaver report only makes a person "waiting to move"; the next key
 * holder who presses 付け替える on the 廃棄予定 page moves everyone waiting
 * (disposal-batches/reseal.ts, through the vault's resealPersons). Counts
 * only on the page; the vault audits each move (`vault.reseal`).
 */
export interface CohortMove {
  personId: string;
  cohort: string;
}

/** The cohort of the people whose numbers may go in this month (YYYY-MM). */
export function disposalCohort(month: string): string {
  if (!/^[0-9]{4}-[0-9]{2}$/.test(month)) throw new TypeError('a disposal month is YYYY-MM');
  return `end-${month}`;
}

/** Whether a cohort is one retention made (a disposal month, a hold, or 'open'), not an ingest year. */
export function isRetentionCohort(cohort: string): boolean {
  return cohort === 'hold' || cohort === 'open' || cohort.startsWith('end-');
}

export function targetCohort(view: PersonRetentionView, current: string): string | null {
  const r = view.retention;
  if (r.hold) return 'hold';
  if (r.state === 'scheduled') return disposalCohort(r.from.slice(0, 7));
  return current === 'hold' || current.startsWith('end-') ? 'open' : null;
}

/** The moves waiting for a key holder, per company (persons not yet in the cohort they belong in). */
export async function pendingMoves(deps: Pick<Deps, 'db'>, companyId?: string): Promise<Map<string, CohortMove[]>> {
  const rules = await loadRules(deps.db);
  let q = deps.db.selectFrom('companies').select('id');
  if (companyId) q = q.where('id', '=', companyId);
  const out = new Map<string, CohortMove[]>();
  for (const c of await q.orderBy('id').execute()) {
    const views = await retentionOfCompany(deps.db, c.id, rules);
    if (views.length === 0) continue;
    const cohorts = new Map((await deps.db.selectFrom('persons').select(['id', 'cohort']).where('company_id', '=', c.id).where('state', '=', 'held').execute()).map((p) => [p.id, p.cohort]));
    const moves: CohortMove[] = [];
    for (const v of views) {
      const current = cohorts.get(v.personId);
      if (current === undefined) continue;
      const cohort = targetCohort(v, current);
      if (cohort && cohort !== current) moves.push({ personId: v.personId, cohort });
    }
    if (moves.length > 0) out.set(c.id, moves);
  }
  return out;
}

export async function pendingMoveCount(deps: Pick<Deps, 'db'>): Promise<number> {
  let n = 0;
  for (const moves of (await pendingMoves(deps)).values()) n += moves.length;
  return n;
}
