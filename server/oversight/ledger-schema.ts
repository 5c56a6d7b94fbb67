import { z } from 'zod';
import { BadRequest } from '../http/errors.js';
import { addDays, addYears, isIsoDate, japanToday, type IsoDate } from '../retention/calendar.js';
import { asText } from '../http/validate.js';

/**
 * The period of the ledger (issue 16 §2) and of the custody report, signed
 * (custody-issue-routes.ts) or the unsigned tally (custody-routes.ts): office
 * days in Japan time, `from` and `to` both inclusive, typed as `YYYY-MM-DD`
 * (a date field works without JavaScript). Left empty, the past 12 months up
 * to today. An end after today is counted up to today (the period says so: a
 * report must not claim days that have not happened); a start after today
 * is refused, like an end before the start. Messages are i18n keys: the page
 * says in plain Japanese what to change.
 */
const day = z.preprocess(asText, z.string().trim().refine((v) => v === '' || isIsoDate(v), { message: 'oversight.ledger.errors.badDay' }));

/** `from` and `to` as a form or a query sends them. */
export const periodFields = z.object({ from: day, to: day });

export const ledgerSchema = { query: periodFields };

export interface LedgerPeriod {
  /** As typed or defaulted, for the form and the file. */
  fromDay: IsoDate;
  toDay: IsoDate;
  /** ISO instants: from inclusive, to exclusive (the day after `toDay`, 00:00 JST). */
  fromAt: string;
  toAt: string;
  /** The end as asked, when it was after today and the period ends today instead. */
  askedToDay?: IsoDate;
}

const JST_OFFSET_MS = 9 * 3600_000;

function jstMidnight(d: IsoDate): string {
  return new Date(Date.parse(`${d}T00:00:00Z`) - JST_OFFSET_MS).toISOString();
}

export function ledgerPeriod(now: Date, q: { from: string; to: string }): LedgerPeriod {
  const today = japanToday(now);
  const asked = (q.to || today) as IsoDate;
  const fromDay = (q.from || addDays(addYears(asked > today ? today : asked, -1), 1)) as IsoDate;
  // A start after today has nothing to count (said first: an empty end means today, which the person did not type).
  if (fromDay > today) throw new BadRequest('oversight.ledger.errors.startAfterToday', { from: fromDay, today });
  // An end before the start would silently give an empty ledger: an inspector must not mistake that for "nothing happened".
  if (asked < fromDay) throw new BadRequest('oversight.ledger.errors.endBeforeStart', { from: fromDay, to: asked });
  const toDay = asked > today ? today : asked;
  return { fromDay, toDay, fromAt: jstMidnight(fromDay), toAt: jstMidnight(addDays(toDay, 1)), ...(asked !== toDay ? { askedToDay: asked } : {}) };
}
