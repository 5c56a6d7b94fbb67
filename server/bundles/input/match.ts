import { problem, type Problem } from '../problems.js';
import type { FamilyMember, PayRow } from '../rows.js';

/**
 * Each row of the year's pay data to the persons kinko holds for the company
 * (issue 15 §1). 本人 by 受給者番号 (col 138, the employee code ingest kept),
 * else by name — the vault keeps no birth date, so a name alone is only a
 * suggestion staff must confirm. Each named spouse / dependent to the
 * dependents held for that employee, by name. Whatever is not certain is a
 * problem for staff (link to a person, or 番号未提供 with a note); nothing is
 * guessed. Pure: the held persons and staff's resolutions come in.
 */
export interface HeldPerson {
  readonly id: string;
  readonly name: string;
  readonly furigana: string | null;
  readonly employeeCode: string | null;
  /** '本人' | '配偶者' | '扶養親族1' … */
  readonly relation: string;
  readonly employeePersonId: string | null;
  /** 'held' — anything else (disposed) means no number is held any more. */
  readonly state: string;
}

export type Subject = 'self' | 'spouse' | `dependents.${number}` | `under16.${number}`;

export interface Resolution {
  readonly line: number;
  readonly subject: string;
  readonly action: 'link' | 'not-provided';
  readonly personId: string | null;
  readonly note: string | null;
}

export type MatchStatus =
  /** Matched with certainty (by code, by name among the employee's dependents, or linked by staff). */
  | 'matched'
  /** Staff marked 番号未提供: the number cells stay blank (NTA FAQ Q2-10). */
  | 'notProvided'
  /** Needs staff: nobody, several, a name-only suggestion, or a person without a held number. */
  | 'open'
  /** A dependent of a row whose 本人 is not matched yet. */
  | 'waiting';

export interface SubjectMatch {
  readonly subject: Subject;
  readonly name: string;
  readonly status: MatchStatus;
  readonly personId?: string;
  /** How it was matched, or why not (i18n key under bundles.match.how). */
  readonly how: string;
  /** Persons staff may link to (the suggestion first). */
  readonly candidates: readonly string[];
  readonly note?: string;
}

export interface RowMatch {
  readonly line: number;
  readonly self: SubjectMatch;
  readonly family: readonly SubjectMatch[];
  readonly problems: Problem[];
}

/** Names as written by two programs: 全角 vs 半角 space, or none, and NFKC width. Never more than that. */
export function sameName(a: string, b: string): boolean {
  return nameKey(a) !== '' && nameKey(a) === nameKey(b);
}

/** The form two names are compared in (sameName): a Map key, so a row finds its persons without scanning them all. */
function nameKey(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '');
}

/** The held persons indexed once per file: 本人 by code and by name, each employee's family by employee. */
interface HeldIndex {
  readonly byId: ReadonlyMap<string, HeldPerson>;
  readonly selvesByCode: ReadonlyMap<string, HeldPerson[]>;
  readonly selvesByName: ReadonlyMap<string, HeldPerson[]>;
  readonly familyOf: ReadonlyMap<string, HeldPerson[]>;
}

function push<K>(m: Map<K, HeldPerson[]>, k: K, p: HeldPerson) {
  const list = m.get(k);
  if (list) list.push(p);
  else m.set(k, [p]);
}

function indexHeld(held: readonly HeldPerson[]): HeldIndex {
  const selvesByCode = new Map<string, HeldPerson[]>();
  const selvesByName = new Map<string, HeldPerson[]>();
  const familyOf = new Map<string, HeldPerson[]>();
  for (const p of held) {
    if (p.relation === '本人') {
      if (p.employeeCode) push(selvesByCode, p.employeeCode, p);
      const k = nameKey(p.name);
      if (k) push(selvesByName, k, p);
    } else if (p.employeePersonId) push(familyOf, p.employeePersonId, p);
  }
  return { byId: new Map(held.map((p) => [p.id, p])), selvesByCode, selvesByName, familyOf };
}

/**
 * @param heldElsewhere whether another company holds a 本人 with this row's code and name:
 *   then the row is refused with that reason (a row of another company's person), not just "unmatched".
 */
export function matchRows(rows: readonly PayRow[], held: readonly HeldPerson[], resolutions: readonly Resolution[], heldElsewhere: (row: PayRow) => boolean = () => false): RowMatch[] {
  const index = indexHeld(held);
  const resolved = new Map(resolutions.map((r) => [`${r.line}|${r.subject}`, r]));
  return rows.map((row) => matchRow(row, index, resolved, heldElsewhere));
}

function matchRow(row: PayRow, index: HeldIndex, resolved: ReadonlyMap<string, Resolution>, heldElsewhere: (row: PayRow) => boolean): RowMatch {
  const problems: Problem[] = [];
  const { byId } = index;
  let self = fromResolution(row, 'self', row.name, resolved, byId, (p) => p.relation === '本人') ?? matchSelf(row, index);
  if (self.how === 'unmatched' && heldElsewhere(row)) self = { ...self, how: 'otherCompany' };
  const family: SubjectMatch[] = [];
  const selfHeld = self.status === 'matched' && self.personId ? byId.get(self.personId) : undefined;
  const own = selfHeld ? (index.familyOf.get(selfHeld.id) ?? []) : [];
  const members: [Subject, FamilyMember, (p: HeldPerson) => boolean][] = [
    ...(row.spouse ? [['spouse', row.spouse, (p: HeldPerson) => p.relation === '配偶者'] as [Subject, FamilyMember, (p: HeldPerson) => boolean]] : []),
    ...row.dependents.map((m, i) => [`dependents.${i}` as Subject, m, (p: HeldPerson) => p.relation !== '配偶者'] as [Subject, FamilyMember, (p: HeldPerson) => boolean]),
    ...row.under16.map((m, i) => [`under16.${i}` as Subject, m, (p: HeldPerson) => p.relation !== '配偶者'] as [Subject, FamilyMember, (p: HeldPerson) => boolean]),
  ];
  for (const [subject, m, fits] of members) {
    const linked = fromResolution(row, subject, m.name, resolved, byId, (p) => p.relation !== '本人' && (!selfHeld || p.employeePersonId === selfHeld.id));
    family.push(linked ?? matchMember(subject, m, selfHeld ? own.filter(fits) : undefined));
  }
  for (const s of [self, ...family]) {
    if (s.status !== 'open') continue;
    const code = s.subject === 'self' ? `match.self.${s.how}` : `match.family.${s.how}`;
    // Another company's person cannot be linked here: the row must leave the file.
    problems.push(problem(code, s.how === 'otherCompany' ? 'error' : 'review', { line: row.line }, { line: row.line, name: s.name, code: row.employeeCode }));
  }
  return { line: row.line, self, family, problems };
}

/** Staff's earlier answer, if it still fits (a link to a person of the right kind that is held). */
function fromResolution(row: PayRow, subject: Subject, name: string, resolved: ReadonlyMap<string, Resolution>, byId: ReadonlyMap<string, HeldPerson>, kind: (p: HeldPerson) => boolean): SubjectMatch | undefined {
  const r = resolved.get(`${row.line}|${subject}`);
  if (!r) return undefined;
  if (r.action === 'not-provided') return { subject, name, status: 'notProvided', how: 'notProvided', candidates: [], ...(r.note ? { note: r.note } : {}) };
  const p = r.personId ? byId.get(r.personId) : undefined;
  if (!p || !kind(p)) return undefined; // linked to someone since disposed or of another kind: ask again
  if (p.state !== 'held') return { subject, name, status: 'open', personId: p.id, how: 'noNumberHeld', candidates: [p.id] };
  return { subject, name, status: 'matched', personId: p.id, how: 'linked', candidates: [] };
}

function matchSelf(row: PayRow, index: HeldIndex): SubjectMatch {
  const base = { subject: 'self' as const, name: row.name };
  if (row.employeeCode) {
    const byCode = index.selvesByCode.get(row.employeeCode) ?? [];
    const live = byCode.filter((p) => p.state === 'held');
    if (live.length === 1) {
      const p = live[0] as HeldPerson;
      // The same code with another name: a re-used code or a typo — staff decide.
      if (!sameName(p.name, row.name)) return { ...base, status: 'open', how: 'codeNameDiffers', candidates: [p.id] };
      return { ...base, status: 'matched', personId: p.id, how: 'byCode', candidates: [] };
    }
    if (live.length > 1) return { ...base, status: 'open', how: 'ambiguous', candidates: live.map((p) => p.id) };
    if (byCode.length > 0) return { ...base, status: 'open', how: 'noNumberHeld', candidates: byCode.map((p) => p.id) };
  }
  const byName = nameKey(row.name) ? (index.selvesByName.get(nameKey(row.name)) ?? []) : [];
  const live = byName.filter((p) => p.state === 'held');
  if (live.length === 1) return { ...base, status: 'open', how: 'nameOnly', candidates: live.map((p) => p.id) };
  if (live.length > 1) return { ...base, status: 'open', how: 'ambiguous', candidates: live.map((p) => p.id) };
  if (byName.length > 0) return { ...base, status: 'open', how: 'noNumberHeld', candidates: byName.map((p) => p.id) };
  return { ...base, status: 'open', how: 'unmatched', candidates: [] };
}

function matchMember(subject: Subject, m: FamilyMember, own: readonly HeldPerson[] | undefined): SubjectMatch {
  const base = { subject, name: m.name };
  if (!own) return { ...base, status: 'waiting', how: 'waiting', candidates: [] };
  const same = own.filter((p) => sameName(p.name, m.name));
  const live = same.filter((p) => p.state === 'held');
  if (live.length === 1) return { ...base, status: 'matched', personId: (live[0] as HeldPerson).id, how: 'byName', candidates: [] };
  if (live.length > 1) return { ...base, status: 'open', how: 'ambiguous', candidates: live.map((p) => p.id) };
  if (same.length > 0) return { ...base, status: 'open', how: 'noNumberHeld', candidates: same.map((p) => p.id) };
  return { ...base, status: 'open', how: 'unmatched', candidates: own.filter((p) => p.state === 'held').map((p) => p.id) };
}
