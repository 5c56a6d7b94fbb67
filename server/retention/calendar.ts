/**
 * Calendar dates as the retention rules count them: plain `YYYY-MM-DD`
 * strings in Japan's calendar (no time, no zone), counted by 民法 140–143:
 * a period in years starts the day after the event (初日不算入) and ends the
 * day before the same date N years on; with no such date (29 February) it
 * ends on the last day of that month. So the first day a document may go is
 * always "start + N years", and JavaScript's rollover of 29 February to
 * 1 March gives exactly that.
 */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function parts(date: IsoDate): [number, number, number] {
  const m = ISO_DATE.exec(date);
  if (!m || !isIsoDate(date)) throw new RangeError('not a calendar date');
  return [+m[1], +m[2], +m[3]];
}

function iso(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = parts(date);
  return iso(new Date(Date.UTC(y, m - 1, d + days)));
}

/** The same day N years on; 29 February becomes 1 March in a common year (民法143条2項 counting). */
export function addYears(date: IsoDate, years: number): IsoDate {
  const [y, m, d] = parts(date);
  return iso(new Date(Date.UTC(y + years, m - 1, d)));
}

export function yearOf(date: IsoDate): number {
  return parts(date)[0];
}

/** Today in Japan (UTC+9, no daylight saving), for "is it due?". */
export function japanToday(now: Date): IsoDate {
  return iso(new Date(now.getTime() + 9 * 3600_000));
}

export function laterOf(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

export function earlierOf(a: IsoDate, b: IsoDate): IsoDate {
  return a <= b ? a : b;
}
