/**
 * What a preview or review list may show of a number: at most the last four
 * digits, and none at all when the value is so short that four digits would
 * be most of it. Non-digit characters are kept so staff can see the shape
 * ("*.*****E+**" tells them Excel showed it in exponent form).
 */
export function maskNumber(value: string, maxLength = 24): string {
  const digits = value.replace(/[^0-9]/g, '');
  let keep = digits.length >= 8 ? 4 : 0;
  const out: string[] = [];
  for (let i = value.length - 1; i >= 0; i--) {
    const ch = value[i]!;
    if (ch >= '0' && ch <= '9') {
      out.push(keep > 0 ? ch : '*');
      if (keep > 0) keep--;
    } else out.push(ch);
  }
  const masked = out.reverse().join('');
  return masked.length > maxLength ? `…${masked.slice(masked.length - maxLength + 1)}` : masked;
}
