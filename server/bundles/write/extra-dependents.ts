/**
 * Cols 132/133: the 5th and later 控除対象扶養親族 / 16歳未満の扶養親族.
 * UNVERIFIED (year-end.md §3): the format is luca-jp's — `(番号)氏名` per
 * person, entries joined by a 全角 space — not yet checked against the
 * 仕様書. It lives only here so a correction is one edit.
 */
export const EXTRA_ENTRY_SEPARATOR = '\u3000';

export function extraEntry(number: string, name: string): string {
  return `(${number})${name}`;
}

export function extraList(entries: readonly { number: string; name: string }[]): string {
  return entries.map((e) => extraEntry(e.number, e.name)).join(EXTRA_ENTRY_SEPARATOR);
}
