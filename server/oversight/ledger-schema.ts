import { z } from 'zod';
import { BadRequest } from '../http/errors.js';
import { addDays, addYears, isIsoDate, japanToday, type IsoDate } from '../retention/calendar.js';
import { asText } from '../http/validate.js';

/**
 * The ledger's period (issue 16 §2): office days in Japan time, `from` and
 * `to` both inclusive, typed as `YYYY-MM-DD` (a date field works without
 * JavaScript). Left empty, the past 12 months up to today. Messages are
 * i18n keys: the error page says in plain Japanese what to change.
 */
const day = z.preprocess(asText, z.string().trim().refine((v) => v === '' || isIsoDate(v), { message: 'oversight.ledger.errors.badDay' }));

export const ledgerSchema = { query: z.object({ from: day, to: day }) };

export interface LedgerPeriod {
  /** As typed or defaulted, for the form and the file. */
  fromDay: IsoDate;
  toDay: IsoDate;
  /** ISO instants: from inclusive, to exclusive (the day after `toDay`, 00:00 JST). */
  fromAt: string;
  toAt: string;
}

const JST_OFFSET_MS = 9 * 3600_000;

function jstMidnight(d: IsoDate): string {
  return new Date(Date.parse(`${d}T00:00:00Z`) - JST_OFFSET_MS).toISOString();
}

export function ledgerPeriod(now: Date, q: { from: string; to: string }): LedgerPeriod {
  const toDay = q.to || japanToday(now);
  const fromDay = q.from || addDays(addYears(toDay, -1), 1);
  // An end before the start would silently give an empty ledger: an inspector must not mistake that for "nothing happened".
  if (toDay < fromDay) throw new BadRequest('oversight.ledger.errors.endBeforeStart', { from: fromDay, to: toDay });
  return { fromDay, toDay, fromAt: jstMidnight(fromDay), toAt: jstMidnight(addDays(toDay, 1)) };
}
