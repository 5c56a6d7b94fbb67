import { maskNumber } from '../../mynumber/mask.js';
import type { Collector } from './collector.js';
import type { ExtractedPerson } from './types.js';

function normName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '');
}

/** The same number under different names is a question for staff; the same person twice is one person. */
export function settleDuplicates(out: Collector): void {
  // The first person of each number and, only for numbers given more than once, all of them.
  const first = new Map<string, ExtractedPerson>();
  const repeated = new Map<string, ExtractedPerson[]>();
  for (const p of out.persons) {
    const f = first.get(p.number);
    if (f === undefined) first.set(p.number, p);
    else {
      const list = repeated.get(p.number);
      if (list) list.push(p);
      else repeated.set(p.number, [f, p]);
    }
  }
  if (repeated.size === 0) return;
  const keep: ExtractedPerson[] = [];
  const conflicted = new Set<ExtractedPerson>();
  let merged = 0;
  for (const list of repeated.values()) {
    const names = new Set(list.map((p) => normName(p.name)));
    if (names.size > 1) list.forEach((p) => conflicted.add(p));
    else merged += list.length - 1;
  }
  for (const p of out.persons) {
    if (conflicted.has(p)) {
      const { number, employeeName: _e, ...rest } = p;
      out.review.push({ ...rest, reason: 'duplicate-number', masked: maskNumber(number) });
      continue;
    }
    // Of one person given twice, the first row stays.
    if (first.get(p.number) === p) keep.push(p);
  }
  out.persons = keep;
  if (merged) out.warn('ingest.warnings.duplicateRows', merged);
}
