import type { PreviewFacts } from './preview.js';
import type { RowRouting } from '../route/route-rows.js';
import type { RowNumbers } from '../write/fill-numbers.js';
import { rowsFor, type Destination } from '../write/unified-writer.js';

/**
 * What a build covers, from the clean preview: the numbered destinations
 * (the 税務署 when anyone goes there, then each 市区町村 by code) and, per
 * row, the held persons whose numbers its cells need. Shown before the build
 * (how many people's numbers it reads; whether the director makes it) and
 * used by it.
 */
export function destinationsOf(facts: PreviewFacts): Destination[] {
  const plan = facts.plan;
  return [
    ...(plan.taxOfficeCount > 0 ? [{ kind: 'tax-office' } as const] : []),
    ...[...plan.municipalities.keys()].sort().map((code) => ({ kind: 'municipal', code }) as const),
  ];
}

/** The persons of one routed row whose numbers the writer needs (matched only; 番号未提供 stays blank). */
export function personIds(facts: PreviewFacts, r: RowRouting): string[] {
  const m = facts.matches.get(r.row.line);
  if (!m) return [];
  return [m.self, ...m.family].filter((s) => s.status === 'matched' && s.personId).map((s) => s.personId as string);
}

/** Distinct people whose numbers one destination kind needs. */
export function personsFor(facts: PreviewFacts, kind: Destination['kind']): string[] {
  const ids = destinationsOf(facts).filter((d) => d.kind === kind).flatMap((d) => rowsFor(facts.plan, d).flatMap((r) => personIds(facts, r)));
  return [...new Set(ids)];
}

/** How many people's numbers the whole build reads (the director's threshold is on this). */
export function buildScope(facts: PreviewFacts): { persons: number; destinations: number } {
  return { persons: new Set([...personsFor(facts, 'tax-office'), ...personsFor(facts, 'municipal')]).size, destinations: destinationsOf(facts).length };
}

/** A row's numbers, looked up in what the vault gave; the payer's 法人番号 from the company's settings. */
export function numbersFor(facts: PreviewFacts, numbers: ReadonlyMap<string, string>, payer: string | null) {
  return (r: RowRouting): RowNumbers => {
    const m = facts.matches.get(r.row.line);
    const of = (subject: string) => {
      const s = m ? [m.self, ...m.family].find((x) => x.subject === subject) : undefined;
      return s?.status === 'matched' && s.personId ? numbers.get(s.personId) : undefined;
    };
    return {
      ...(payer ? { payer } : {}),
      self: of('self'),
      spouse: of('spouse'),
      dependents: r.row.dependents.map((_, i) => of(`dependents.${i}`)),
      under16: r.row.under16.map((_, i) => of(`under16.${i}`)),
    };
  };
}
