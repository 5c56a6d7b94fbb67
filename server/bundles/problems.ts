/**
 * What the bundles core reports to staff: a code (its text is
 * `bundles.problems.<code>` in server/i18n/locales/{ja,en}/bundles.json),
 * where it is (file line, column) and plain parameters. Parameters never
 * carry a cell's value: a cell may hold a number, and problems are shown,
 * logged and stored.
 */
export type Severity =
  /** The row (or file) cannot be used until it is fixed at the source. */
  | 'error'
  /** Staff must decide (a missing flag, a character to replace, numbers to check against the vault). */
  | 'review';

export interface Problem {
  readonly code: string;
  readonly severity: Severity;
  /** 1-based line of the input file (or the row's line it came from). */
  readonly line?: number;
  readonly col?: number;
  readonly params: Readonly<Record<string, string | number>>;
}

export function problem(
  code: string,
  severity: Severity,
  where: { line?: number; col?: number },
  params: Record<string, string | number> = {},
): Problem {
  return { code, severity, ...where, params };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Characters for a message: 「髙」「﨑」. */
export function quoteChars(chars: readonly string[]): string {
  return chars.map((c) => (c === ' ' ? '「 」' : `「${c}」`)).join('');
}
