/**
 * The My Number check digit in the browser (design §5), so a mistyped number
 * is caught before anything is sent. The same rule as
 * server/mynumber/check-digit.ts: with P(n) the n-th of the first 11 digits
 * from the right, Q(n) = n+1 (n ≤ 6) or n−5 (n ≥ 7), r = ΣP·Q mod 11,
 * check = 0 if r ≤ 1 else 11 − r.
 */

/** Full-width digits to ASCII; spaces and hyphens (half or full width) dropped. */
export function normalizeNumber(text) {
  return String(text)
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[\s\-‐－ー−]/g, '');
}

/** 'ok' | 'incomplete' (fewer than 12 digits so far) | 'wrong' (12 digits, check digit off, or not digits). */
export function checkNumber(text) {
  const n = normalizeNumber(text);
  if (n === '') return 'empty';
  if (!/^\d+$/.test(n)) return 'wrong';
  if (n.length < 12) return 'incomplete';
  if (n.length > 12) return 'wrong';
  let sum = 0;
  for (let i = 1; i <= 11; i++) {
    const p = Number(n[11 - i]);
    const q = i <= 6 ? i + 1 : i - 5;
    sum += p * q;
  }
  const r = sum % 11;
  const check = r <= 1 ? 0 : 11 - r;
  return check === Number(n[11]) ? 'ok' : 'wrong';
}

/** What an image file is, from its first bytes (the type a phone reports is not trusted). */
export function imageType(bytes) {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  const brand = String.fromCharCode(...bytes.slice(4, 12));
  if (/^ftyp(heic|heix|mif1|msf1|heif)/.test(brand)) return 'image/heic';
  return null;
}
