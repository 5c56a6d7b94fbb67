import type { TFunction } from 'i18next';
import { describeProblem } from '../messages.js';
import { problem, type Problem } from '../problems.js';
import { planRouting, type RowRouting } from '../route/route-rows.js';
import type { PayRow } from '../rows.js';
import { matchRows, type HeldPerson, type Resolution, type RowMatch, type SubjectMatch } from './match.js';
import type { OpenInput } from './open-inputs.js';

/**
 * What staff see before anything is built (issue 15 §2): counts per
 * destination, who goes where and why, problems first — read problems,
 * unmatched / ambiguous / held-without-number persons, numbers the file
 * carried that differ from the vault, routing that cannot be decided. Ids,
 * names and amounts only; never a number.
 */
export interface PreviewFacts {
  readonly matches: ReadonlyMap<number, RowMatch>;
  readonly plan: ReturnType<typeof planRouting>;
  /** Problems not tied to a row that was read (file faults, rows left out). */
  readonly fileProblems: Problem[];
  /** Problems per line: match, carried numbers, routing. */
  readonly rowProblems: ReadonlyMap<number, Problem[]>;
  readonly problemCount: number;
  readonly open: number;
  readonly notProvided: number;
  readonly checkedNumbers: number;
}

export function previewFacts(input: OpenInput, held: ReadonlyArray<HeldPerson & { numberIndex: string }>, resolutions: readonly Resolution[], heldElsewhere: (row: PayRow) => boolean): PreviewFacts {
  const matchList = matchRows(input.rows, held, resolutions, heldElsewhere);
  const matches = new Map(matchList.map((m) => [m.line, m]));
  const index = new Map(held.map((p) => [p.id, p.numberIndex]));
  const plan = planRouting(input.rows, (r) => input.flags.get(r.line) ?? {}, input.nenbun);
  const lines = new Set(input.rows.map((r) => r.line));
  const rowProblems = new Map<number, Problem[]>();
  const add = (line: number, ps: readonly Problem[]) => ps.length && rowProblems.set(line, [...(rowProblems.get(line) ?? []), ...ps]);
  const fileProblems = input.readProblems.filter((p) => p.line === undefined || !lines.has(p.line));
  for (const p of input.readProblems) if (p.line !== undefined && lines.has(p.line)) add(p.line, [p]);
  let checkedNumbers = 0;
  for (const m of matchList) {
    add(m.line, m.problems);
    for (const [subject, idx] of input.carried.get(m.line) ?? []) {
      const s = [m.self, ...m.family].find((x) => x.subject === subject);
      if (idx === 'invalid') add(m.line, [problem('input.carriedInvalid', 'error', { line: m.line }, { line: m.line, name: s?.name ?? '' })]);
      else if (s?.status === 'matched' && s.personId) {
        if (index.get(s.personId) === idx) checkedNumbers++;
        else add(m.line, [problem('input.carriedDiffers', 'error', { line: m.line }, { line: m.line, name: s.name })]);
      }
    }
  }
  for (const r of plan.rows) add(r.row.line, r.problems);
  const all = [...matchList.flatMap((m) => [m.self, ...m.family])];
  const problemCount = fileProblems.length + [...rowProblems.values()].reduce((n, ps) => n + ps.length, 0);
  return {
    matches, plan, fileProblems, rowProblems, problemCount, checkedNumbers,
    open: all.filter((s) => s.status === 'open').length,
    notProvided: all.filter((s) => s.status === 'notProvided').length,
  };
}

/** True when nothing stands in the way of building: no problem at all, every person matched or 番号未提供. */
export function readyToBuild(f: PreviewFacts): boolean {
  return f.problemCount === 0 && f.open === 0 && f.plan.rows.length > 0;
}

// ---- the page ---------------------------------------------------------------

export interface Candidate { id: string; label: string }
export interface SubjectView { subject: string; name: string; status: string; how: string; note: string | null; candidates: Candidate[] }
export interface RowView {
  line: number;
  name: string;
  employeeCode: string;
  pay: number;
  taxOffice: string;
  municipal: string;
  people: SubjectView[];
  problems: string[];
}

export interface PreviewView {
  counts: { rows: number; taxOffice: number; municipalities: Array<{ code: string; rows: number; special: number; ordinary: number }>; selfCopy: number; problems: number; open: number; notProvided: number; checkedNumbers: number };
  fileProblems: string[];
  problemRows: RowView[];
  okRows: RowView[];
  ready: boolean;
}

export function previewView(t: TFunction, lng: string, f: PreviewFacts, held: readonly HeldPerson[]): PreviewView {
  const byId = new Map(held.map((p) => [p.id, p]));
  const label = (id: string): Candidate => {
    const p = byId.get(id);
    return { id, label: p ? [p.name, p.employeeCode ? `(${p.employeeCode})` : '', p.relation, p.state === 'held' ? '' : t('bundles.input.noNumberHeld', { lng })].filter(Boolean).join(' ') : id };
  };
  const subjectView = (s: SubjectMatch): SubjectView => ({
    subject: s.subject, name: s.name, status: s.status, how: t(`bundles.input.how.${s.how}`, { lng }), note: s.note ?? null, candidates: s.candidates.map(label),
  });
  const rowView = (r: RowRouting): RowView => {
    const m = f.matches.get(r.row.line);
    return {
      line: r.row.line, name: r.row.name, employeeCode: r.row.employeeCode, pay: r.row.pay,
      taxOffice: `${t(`bundles.input.status.${r.taxOffice.status}`, { lng })} — ${t(`bundles.reasons.tax.${r.taxOffice.reason}`, { ...flagParams(t, lng, r.taxOffice.params), lng })}`,
      municipal: `${r.municipal.status === 'included' ? r.municipal.code : t(`bundles.input.status.${r.municipal.status}`, { lng })} — ${t(`bundles.reasons.municipal.${r.municipal.reason}`, { ...r.municipal.params, lng })}`,
      people: m ? [m.self, ...m.family].map(subjectView) : [],
      problems: (f.rowProblems.get(r.row.line) ?? []).map((p) => describeProblem(t, p, lng)),
    };
  };
  const rows = f.plan.rows.map(rowView);
  return {
    counts: {
      rows: f.plan.rows.length,
      taxOffice: f.plan.taxOfficeCount,
      municipalities: [...f.plan.municipalities].map(([code, g]) => ({ code, rows: g.rows.length, special: g.special, ordinary: g.ordinary })).sort((a, b) => a.code.localeCompare(b.code)),
      selfCopy: f.plan.selfCopyCount,
      problems: f.problemCount, open: f.open, notProvided: f.notProvided, checkedNumbers: f.checkedNumbers,
    },
    fileProblems: f.fileProblems.map((p) => describeProblem(t, p, lng)),
    problemRows: rows.filter((r) => r.problems.length > 0 || r.people.some((p) => p.status === 'open')),
    okRows: rows.filter((r) => r.problems.length === 0 && !r.people.some((p) => p.status === 'open')),
    ready: readyToBuild(f),
  };
}

function flagParams(t: TFunction, lng: string, params: Record<string, string | number>): Record<string, string | number> {
  if (typeof params['flags'] !== 'string') return params;
  return { ...params, flags: params['flags'].split(',').filter(Boolean).map((x) => t(`bundles.flags.${x}`, { lng })).join('・') };
}
