import type { CellFault } from './layout/check-cell.js';
import type { ColumnSpec } from './layout/types.js';
import { problem, quoteChars, type Problem, type Severity } from './problems.js';

/** A cell fault as a problem for one row and column (its text names the column, never the value). */
export function cellProblem(fault: CellFault, spec: ColumnSpec, line: number | undefined, severity: Severity = 'error'): Problem {
  const where = { line, col: spec.col };
  const base = { col: spec.col, column: spec.name };
  switch (fault.fault) {
    case 'outside-jis':
      // Not JIS第1・第2水準 (髙, 﨑): staff choose the registered form (高, 崎) — kinko never picks one.
      return problem('cell.outsideJis', 'review', where, { ...base, chars: quoteChars(fault.chars) });
    case 'hankaku-in-zenkaku':
    case 'zenkaku-in-hankaku':
    case 'not-digits':
    case 'not-kana':
      return problem(`cell.${camel(fault.fault)}`, severity, where, { ...base, chars: quoteChars(fault.chars) });
    case 'too-long':
      return problem('cell.tooLong', severity, where, { ...base, max: fault.max, length: fault.length });
    case 'too-short':
      return problem('cell.tooShort', severity, where, { ...base, min: fault.min, length: fault.length });
    case 'bad-value':
      return problem('cell.badValue', severity, where, { ...base, allowed: fault.allowed.join(' / ') });
    case 'must-be-blank':
      return problem('cell.mustBeBlank', severity, where, base);
    case 'comma':
      return problem('cell.comma', severity, where, base);
  }
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
