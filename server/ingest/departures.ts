import type { Plan, PlannedPerson } from './preview.js';

/**
 * A roster's 退職日 column (issue 14 §1): the employees of the file that have
 * one, whom the confirmation can record as leavers when staff tick 「退職日を
 * 記録する」 on the preview — never without that tick. Only employees (本人)
 * added now or already held; a date after today (a planned retirement) is
 * counted apart and not recorded, since only a departure that happened ends
 * the need for the number.
 */
export interface RosterDepartures {
  record: PlannedPerson[];
  later: number;
}

export function rosterDepartures(plan: Pick<Plan, 'persons'>, today: string): RosterDepartures {
  const out: RosterDepartures = { record: [], later: 0 };
  for (const p of plan.persons) {
    if (p.relation !== '本人' || !p.person.leftOn || (p.status !== 'add' && p.status !== 'duplicate')) continue;
    if (p.person.leftOn > today) out.later++;
    else out.record.push(p);
  }
  return out;
}

/** The person id each departure is for: a person added now (by plan key), or the held person a duplicate matched. */
export function departureReports(found: RosterDepartures, idOfKey: ReadonlyMap<string, string>): Array<{ personId: string; on: string }> {
  const seen = new Set<string>();
  const out: Array<{ personId: string; on: string }> = [];
  for (const p of found.record) {
    const personId = p.status === 'add' ? idOfKey.get(p.key) : p.heldKey?.startsWith('held:') ? p.heldKey.slice('held:'.length) : idOfKey.get(p.heldKey ?? '');
    if (!personId || seen.has(personId)) continue;
    seen.add(personId);
    out.push({ personId, on: p.person.leftOn! });
  }
  return out;
}
