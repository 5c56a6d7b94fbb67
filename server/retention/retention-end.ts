import { addDays, addYears, earlierOf, laterOf, yearOf, type IsoDate } from './calendar.js';
import type { DocumentType, Service } from './catalog.js';

/**
 * When a held number may go (retention-and-breach.md §2): only when the work
 * no longer needs it AND every document that carries it is past its period.
 * This is pure counting over data — the rules, the services a company has
 * contracted and the dates the client or staff reported — so the same answer
 * is shown on every page, with the lines it was worked out from.
 */

export interface PersonFacts {
  /** '本人' for the employee; anything else is a spouse or dependent */
  relation: string;
  /** the employee's 退職日 (for a dependent: the employee's) */
  leftOn: IsoDate | null;
  /** a spouse or dependent who left the household (扶養から外れた) */
  leftHouseholdOn?: IsoDate | null;
}

export interface CompanyFacts {
  services: readonly string[];
  /** the office's contract with the client ended: everything goes back or is destroyed (返却又は廃棄) */
  contractEndOn?: IsoDate | null;
}

export interface Controls {
  /** 保留: nothing is disposed while a hold stands */
  hold?: { reason: string } | null;
  /** 削除予約: a date set by hand (never earlier than the statutory end; the service refuses that) */
  reservedOn?: IsoDate | null;
}

export interface Rules {
  documents: readonly DocumentType[];
  services: readonly Service[];
}

/** One line of the reasoning, in data; `basis-text.ts` words it. */
export type BasisLine =
  | { kind: 'document'; event: 'left' | 'left-household'; eventOn: IsoDate; document: DocumentType; from: IsoDate }
  | { kind: 'document-unknown'; document: DocumentType }
  | { kind: 'contract-end'; eventOn: IsoDate; from: IsoDate }
  | { kind: 'reserved'; from: IsoDate };

export type Retention =
  /** still needed: no end date */
  | { state: 'in-service'; basis: BasisLine[]; hold: Controls['hold'] }
  | { state: 'scheduled'; from: IsoDate; basis: BasisLine[]; unconfirmed: boolean; hold: Controls['hold'] }
  /** an end cannot be worked out: shown as unknown, never guessed */
  | { state: 'unknown'; reason: 'no-services' | 'no-document' | 'period-unknown'; basis: BasisLine[]; hold: Controls['hold'] };

export function isEmployee(relation: string): boolean {
  return relation === '本人';
}

/** The documents the company's services produce that carry this person's number. */
export function documentsFor(person: PersonFacts, company: CompanyFacts, rules: Rules): DocumentType[] {
  const ids = new Set(company.services.flatMap((s) => rules.services.find((x) => x.id === s)?.documents ?? []));
  return rules.documents.filter((d) => ids.has(d.id) && (d.carries === 'family' || isEmployee(person.relation)));
}

/** The event that ends the need for this number, if any. */
function endOfNeed(person: PersonFacts): { event: 'left' | 'left-household'; on: IsoDate } | null {
  const left = person.leftOn ?? null;
  const household = isEmployee(person.relation) ? null : (person.leftHouseholdOn ?? null);
  if (household && (!left || household <= left)) return { event: 'left-household', on: household };
  return left ? { event: 'left', on: left } : null;
}

function firstDeletableDay(doc: DocumentType & { years: number }, eventOn: IsoDate): IsoDate {
  const start = doc.anchor === 'completion' ? addDays(eventOn, 1) : `${yearOf(eventOn) + 1}-01-11`;
  return addYears(start, doc.years);
}

export function retentionOf(person: PersonFacts, company: CompanyFacts, controls: Controls, rules: Rules): Retention {
  const hold = controls.hold ?? null;
  const contractEnd = company.contractEndOn ?? null;
  const contractLine = (): BasisLine[] => (contractEnd ? [{ kind: 'contract-end', eventOn: contractEnd, from: addDays(contractEnd, 1) }] : []);
  const need = endOfNeed(person);

  if (company.services.length === 0 && !contractEnd) return { state: 'unknown', reason: 'no-services', basis: [], hold };
  const docs = documentsFor(person, company, rules);

  let statutory: { from: IsoDate; unconfirmed: boolean; lines: BasisLine[] } | null = null;
  const unknownLines: BasisLine[] = [];
  if (need) {
    const lines: BasisLine[] = [];
    let from: IsoDate | null = null;
    let unconfirmed = false;
    for (const d of docs) {
      if (d.years === null) {
        unknownLines.push({ kind: 'document-unknown', document: d });
        continue;
      }
      const day = firstDeletableDay(d as DocumentType & { years: number }, need.on);
      lines.push({ kind: 'document', event: need.event, eventOn: need.on, document: d, from: day });
      from = from ? laterOf(from, day) : day;
      unconfirmed ||= !d.confirmed;
    }
    if (from) statutory = { from, unconfirmed, lines };
  }

  // The contract's end stops the office's work for the client whatever else
  // holds: everything goes back or is destroyed from the next day.
  if (contractEnd) {
    const byContract = addDays(contractEnd, 1);
    const from = statutory ? earlierOf(statutory.from, byContract) : byContract;
    return { state: 'scheduled', from, basis: [...(statutory?.lines ?? []), ...contractLine()], unconfirmed: false, hold };
  }
  if (!need) return { state: 'in-service', basis: [], hold };
  if (docs.length === 0) return { state: 'unknown', reason: 'no-document', basis: [], hold };
  if (unknownLines.length > 0 && !controls.reservedOn) return { state: 'unknown', reason: 'period-unknown', basis: [...(statutory?.lines ?? []), ...unknownLines], hold };
  const base = statutory ?? { from: controls.reservedOn as IsoDate, unconfirmed: false, lines: [] };
  if (controls.reservedOn) {
    return { state: 'scheduled', from: laterOf(base.from, controls.reservedOn), basis: [...base.lines, ...unknownLines, { kind: 'reserved', from: controls.reservedOn }], unconfirmed: base.unconfirmed, hold };
  }
  return { state: 'scheduled', from: base.from, basis: base.lines, unconfirmed: base.unconfirmed, hold };
}

/** Whether a number may be disposed of on `today`: scheduled, the day reached, and no hold. */
export function isDue(r: Retention, today: IsoDate): boolean {
  return r.state === 'scheduled' && !r.hold && r.from <= today;
}
