import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CacheEntry } from './preview-cache.js';
import type { VaultSession } from '../vault/index.js';
import type { ColumnChoice, ExtractedPerson, ParseResult, Relation, ReviewRow } from './parse/types.js';
import { eachWithTurns } from '../lib/turns.js';

/**
 * What a parsed drop becomes before anything is stored: for each person,
 * whether it will be added, is already held (duplicate), or goes to review as
 * a number change; which rows staff excluded; which Excel-damaged rows they
 * agreed to repair. The same plan is computed for the preview page and again,
 * authoritatively, at confirmation (someone may have ingested in between).
 */
export interface PreviewEntry extends CacheEntry {
  dropId: string;
  companyId: string;
  /** The decrypted file, kept only to re-read it with other column choices; zero-filled on disposal. */
  plaintext: Buffer;
  result: ParseResult;
  choices: ColumnChoice[];
  /** Bumped by every re-read: a form made for an older result is refused. */
  version: number;
  session: VaultSession;
}

export type PlannedStatus = 'add' | 'duplicate' | 'number-change' | 'excluded';

export interface PlannedPerson {
  /** Form key: `p<i>` for a person, `r<i>` for a repaired review row. */
  key: string;
  person: ExtractedPerson;
  relation: string;
  status: PlannedStatus;
  /** A duplicate: the person already held (or the earlier row of this file) it matches. */
  heldKey?: string;
}

export interface PlannedReview {
  key: string;
  row: ReviewRow;
  relation: string;
  /** Staff agreed to the proposed repair: the row is a person now (see `persons`). */
  repaired: boolean;
}

/** A row the confirmation will not put into the vault, but records for review: a file problem, or a number change. */
export type HeldRow = { kind: 'review'; review: PlannedReview } | { kind: 'number-change'; person: PlannedPerson };

export interface Plan {
  persons: PlannedPerson[];
  review: PlannedReview[];
  /** Every held row, in the order the preview lists them; `counts.review` is its length. */
  held: HeldRow[];
  counts: { add: number; duplicates: number; numberChanges: number; review: number; excluded: number };
}

export interface Selection {
  exclude: ReadonlySet<string>;
  repair: ReadonlySet<string>;
}

/**
 * Who a row is, for number changes: the same employee code and the same
 * relation — 本人, 配偶者 or the same 扶養親族n column group — and for a
 * relative also the same name. The relation is part of who a person is: a
 * row's 配偶者 and 扶養親族1 are two people even under one name (issue 11),
 * so one must never be taken for a number change of the other (as
 * findHeldByEmployee in server/vault/repo.ts matches too).
 */
function employeeKey(p: { employeeCode?: string | null; name: string }, relation: string): string {
  const self = relation === '本人';
  return `c\u0000${p.employeeCode ?? ''}\u0000${relation}${self ? '' : `\u0000${p.name}`}`;
}

/** The plan key of the file's i-th person, and of its i-th review row. */
const personKey = (i: number) => `p${i}`;
const reviewKey = (i: number) => `r${i}`;

/**
 * Every number a confirmation of this file could add, by plan key: each
 * person, and each review row with a proposed repair (added only if staff
 * ticked it). The commit seals them all while it plans (commit.ts).
 */
export function candidateNumbers(result: Pick<ParseResult, 'persons' | 'review'>): Array<{ key: string; number: string }> {
  const out = result.persons.map((p, i) => ({ key: personKey(i), number: p.number }));
  result.review.forEach((r, i) => {
    if (r.reason === 'excel-damaged' && r.proposedNumber) out.push({ key: reviewKey(i), number: r.proposedNumber });
  });
  return out;
}

export async function planIngest(db: Kysely<Database>, entry: Pick<PreviewEntry, 'result' | 'session'>, sel: Selection): Promise<Plan> {
  const candidates: Array<{ key: string; person: ExtractedPerson }> = entry.result.persons.map((person, i) => ({ key: personKey(i), person }));
  const review: PlannedReview[] = entry.result.review.map((row, i) => {
    const key = reviewKey(i);
    const repaired = row.reason === 'excel-damaged' && !!row.proposedNumber && sel.repair.has(key);
    return { key, row, relation: relationText(row.relation), repaired };
  });
  for (const r of review) {
    if (!r.repaired) continue;
    const { reason: _reason, masked: _masked, proposedNumber, ...rest } = r.row;
    candidates.push({ key: r.key, person: { ...rest, name: rest.name ?? '', number: proposedNumber! } });
  }

  // Everything the database knows about this file's people, in a few
  // batched queries (not two per person): held numbers by blind index, and
  // held employees by code.
  const active = candidates.filter((c) => !sel.exclude.has(c.key));
  const indexes = new Map(active.map((c) => [c.key, entry.session.indexOf(c.person.number)]));
  const heldByIndex = await entry.session.findByIndexes(db, [...indexes.values()]);
  const codes = active.map((c) => c.person.employeeCode).filter((c): c is string => !!c);
  const heldEmployees = new Set(
    (codes.length ? await entry.session.findByEmployeeCodes(db, codes) : []).map((r) => employeeKey({ employeeCode: r.employee_code ?? undefined, name: r.name }, r.relation)),
  );

  const seenNumbers = new Map<string, string>(); // blind index → key of the first row with it
  const seenEmployees = new Map<string, string>(); // employee key → blind index
  const persons: PlannedPerson[] = [];
  // One plain function per candidate, the event loop turning between them (lib/turns.ts).
  await eachWithTurns(candidates, ({ key, person }) => {
    const relation = relationText(person.relation);
    const index = indexes.get(key);
    if (index === undefined) {
      persons.push({ key, person, relation, status: 'excluded' });
      return;
    }
    const earlier = seenNumbers.get(index);
    if (earlier) {
      persons.push({ key, person, relation, status: 'duplicate', heldKey: earlier });
      return;
    }
    const held = heldByIndex.get(index);
    if (held) {
      seenNumbers.set(index, `held:${held.id}`);
      persons.push({ key, person, relation, status: 'duplicate', heldKey: `held:${held.id}` });
      return;
    }
    // A "number change" needs the same employee, and only an employee code
    // identifies one: two people with the same name (同姓同名) are common in a
    // large roster, and a My Number itself changes only rarely (after a leak).
    // Without a code, a different number under a known name is a new person.
    const ek = person.employeeCode ? employeeKey(person, relation) : undefined;
    const sameEmployee = ek === undefined ? undefined : seenEmployees.get(ek);
    const changed = ek !== undefined && ((sameEmployee !== undefined && sameEmployee !== index) || heldEmployees.has(ek));
    if (changed) {
      persons.push({ key, person, relation, status: 'number-change' });
      return;
    }
    seenNumbers.set(index, key);
    if (ek !== undefined) seenEmployees.set(ek, index);
    persons.push({ key, person, relation, status: 'add' });
  });

  const count = (s: PlannedStatus) => persons.filter((p) => p.status === s).length;
  const held = heldRows(review, persons);
  return {
    persons,
    review,
    held,
    counts: {
      add: count('add'),
      duplicates: count('duplicate'),
      numberChanges: count('number-change'),
      // The one count of held rows: the summary and the held-rows section both show this.
      review: held.length,
      excluded: count('excluded'),
    },
  };
}

/** The review rows not repaired, then the number changes: what the confirmation records as held. */
function heldRows(review: PlannedReview[], persons: PlannedPerson[]): HeldRow[] {
  return [
    ...review.filter((r) => !r.repaired).map((r): HeldRow => ({ kind: 'review', review: r })),
    ...persons.filter((p) => p.status === 'number-change').map((p): HeldRow => ({ kind: 'number-change', person: p })),
  ];
}

/** Where a row sits in the file: for linking a dependent to the employee on the same row. */
export function rowKey(p: Pick<ExtractedPerson, 'sheet' | 'row' | 'page'>): string {
  return `${p.sheet}\u0000${p.page ?? ''}\u0000${p.row}`;
}

/** The relation as the vault stores it: 本人 / 配偶者 / 扶養親族n. */
export function relationText(r: Relation): string {
  if (r.kind === 'self') return '本人';
  if (r.kind === 'spouse') return '配偶者';
  return `扶養親族${r.index}`;
}
