import { DESIGNATED_CITIES } from './designated-cities.js';

/**
 * 全国地方公共団体コード: 5 digits, or 6 with a check digit (weights 6–2,
 * mod 11). Kept as text: a leading 0 (北海道 01…) is part of the code.
 */
export function checkDigitOf(five: string): string {
  const sum = [...five].reduce((s, d, i) => s + Number(d) * (6 - i), 0);
  return String((11 - (sum % 11)) % 10);
}

export type CodeRead =
  | { ok: true; key: string; wardOf?: string; written: string }
  | { ok: false; reason: 'format' | 'check-digit' };

/**
 * @returns `key`: the 5-digit code destinations are grouped by (the city's
 *   for a 政令市 ward); `written`: what col 139 gets in the output, in the
 *   width the input used.
 */
export function readMunicipalityCode(code: string): CodeRead {
  if (!/^\d{5}(\d)?$/.test(code)) return { ok: false, reason: 'format' };
  const five = code.slice(0, 5);
  if (code.length === 6 && code[5] !== checkDigitOf(five)) return { ok: false, reason: 'check-digit' };
  const city = DESIGNATED_CITIES.find((c) => five >= c.wards[0] && five <= c.wards[1]);
  const key = city ? city.city : five;
  const written = code.length === 6 ? key + checkDigitOf(key) : key;
  return city ? { ok: true, key, wardOf: city.name, written } : { ok: true, key, written };
}
