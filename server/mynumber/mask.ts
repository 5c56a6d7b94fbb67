/**
 * What a preview or review list may show of a number: at most the last four
 * digits of a plainly written number, and none at all of a value that is
 * short or oddly shaped. Non-digit characters are kept so staff can see the
 * shape ("*.*****E+**" tells them Excel showed it in exponent form).
 */
const PLAIN = /^[0-9\s\-‐‑‒–—―−ー]+$/;

export function maskNumber(value: string, maxLength = 24): string {
  const v = value.normalize('NFKC');
  const digits = v.replace(/[^0-9]/g, '').length;
  let keep = PLAIN.test(v) && digits >= 8 ? 4 : 0;
  const out: string[] = [];
  for (let i = v.length - 1; i >= 0; i--) {
    const ch = v[i]!;
    if (ch >= '0' && ch <= '9') {
      out.push(keep > 0 ? ch : '*');
      if (keep > 0) keep--;
    } else out.push(ch);
  }
  const masked = out.reverse().join('');
  return masked.length > maxLength ? `…${masked.slice(masked.length - maxLength + 1)}` : masked;
}
