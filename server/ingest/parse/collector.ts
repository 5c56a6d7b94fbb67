import type { AmbiguousColumns, ExtractedPerson, ReviewRow, SheetReport } from './types.js';

/** What extraction gathers over all sheets of one file: persons, review rows, sheet reports, questions and counted warnings. */
export class Collector {
  persons: ExtractedPerson[] = [];
  readonly review: ReviewRow[] = [];
  readonly sheets: SheetReport[] = [];
  readonly ambiguous: AmbiguousColumns[] = [];
  readonly warnings = new Map<string, number>();

  warn(key: string, n = 1): void {
    this.warnings.set(key, (this.warnings.get(key) ?? 0) + n);
  }
}
