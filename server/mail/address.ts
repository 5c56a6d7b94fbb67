/**
 * One plain mailbox per stored address. A value such as "a@x, b@y", one with
 * angle brackets or a line break, must neither add recipients nor headers to
 * a notice (header injection), so such values are refused when typed and
 * skipped when read back.
 */
/** What the senders accept (notify/service.ts uses the same rule): one mailbox, no separators or brackets. */
const PLAIN = /^[^\s@,;:<>()"'\\[\]]+@[^\s@,;:<>()"'\\[\]]+$/;
/** What a person may type: also a dot in the domain, so a typo such as "name@example" is caught. */
const TYPED = /^[^\s@,;:<>()"'\\[\]]+@[^\s@,;:<>()"'\\[\]]+\.[^\s@,;:<>()"'\\[\]]+$/;
const MAX_LENGTH = 254;

/** The address as it will be stored (NFKC, trimmed), or the i18n key of what is wrong with it. */
export function checkAddress(raw: string): { address: string } | { problem: 'mailAddress.errors.invalid' | 'mailAddress.errors.tooLong' } {
  const address = raw.normalize('NFKC').trim();
  if (address.length > MAX_LENGTH) return { problem: 'mailAddress.errors.tooLong' };
  if (!TYPED.test(address)) return { problem: 'mailAddress.errors.invalid' };
  return { address };
}

/** The usable, distinct addresses among stored ones (case-insensitive), in order. */
export function plainAddresses(stored: readonly (string | null)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of stored) {
    const e = (raw ?? '').trim();
    if (!PLAIN.test(e) || seen.has(e.toLowerCase())) continue;
    seen.add(e.toLowerCase());
    out.push(e);
  }
  return out;
}
