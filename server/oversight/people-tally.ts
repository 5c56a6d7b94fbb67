import { relationClass, STATES_WORST_FIRST, type ExposureState, type RelationClass } from './exposure.js';
import type { ScopePerson } from './scope-repo.js';

/**
 * Distinct people and the worst state each one's number was in. A person is
 * their number within a company: the blind index (a keyed HMAC, never the
 * number) makes an employee listed on one row and a spouse on another one
 * person. Across companies there is no shared key, so a human employed by two
 * clients counts once per client — each client is its own reporting party.
 */
export interface PersonEntry {
  companyId: string;
  relation: RelationClass;
  state: ExposureState;
}

const RANK = new Map(STATES_WORST_FIRST.map((s, i) => [s, i]));

export class PeopleTally {
  private readonly people = new Map<string, PersonEntry>();

  add(persons: Iterable<ScopePerson>, state: ExposureState): void {
    for (const p of persons) {
      // A disposed person's index is cleared (vault/dispose-persons.ts): each is then themself, never one with every other disposed person.
      const key = p.number_index ? `${p.company_id}\u0000${p.number_index}` : `${p.company_id}\u0000id:${p.id}`;
      const had = this.people.get(key);
      // A person seen both as 本人 and as someone's dependent is counted as 本人.
      const relation = had && had.relation === 'self' ? 'self' : relationClass(p.relation);
      if (!had || RANK.get(state)! < RANK.get(had.state)!) this.people.set(key, { companyId: p.company_id, relation, state });
      else had.relation = relation;
    }
  }

  get size(): number {
    return this.people.size;
  }

  entries(): IterableIterator<PersonEntry> {
    return this.people.values();
  }
}

export interface Counts {
  people: number;
  byState: Record<ExposureState, number>;
  byRelation: Record<RelationClass, number>;
}

export function emptyCounts(): Counts {
  return {
    people: 0,
    byState: { plain: 0, vaultWithLockedKey: 0, sealed: 0, officeKey: 0, vaultApart: 0 },
    byRelation: { self: 0, spouse: 0, dependent: 0 },
  };
}

export function addTo(c: Counts, e: PersonEntry): void {
  c.people++;
  c.byState[e.state]++;
  c.byRelation[e.relation]++;
}
