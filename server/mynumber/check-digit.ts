/**
 * The My Number check digit (design.md §5): with P(n) the n-th of the first 11
 * digits counted from the right, Q(n) = n+1 for n = 1..6 and n-5 for n = 7..11,
 * r = (Σ P(n)·Q(n)) mod 11, check = 0 if r ≤ 1 else 11 − r.
 */
export function checkDigit(first11: string): number {
  if (!/^\d{11}$/.test(first11)) throw new Error('checkDigit needs 11 ASCII digits');
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = first11.charCodeAt(11 - n) - 48;
    const q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** True for 12 ASCII digits whose last digit is the right check digit. */
export function isValidMyNumber(digits: string): boolean {
  return /^\d{12}$/.test(digits) && checkDigit(digits.slice(0, 11)) === digits.charCodeAt(11) - 48;
}
