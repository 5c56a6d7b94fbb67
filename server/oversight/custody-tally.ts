import { BadRequest } from '../http/errors.js';
import { ledgerPeriod, type LedgerPeriod } from './ledger-schema.js';

/**
 * The unsigned custody tally's period (issue 16 §1): chosen with a GET form
 * on the office's and the room's custody page, read with the same parsing
 * and checks as the signed report and the ledger (ledger-schema.ts). The
 * page's PDF and CSV links carry the period, so the files count what the
 * page says. A period kinko refuses (an end before the start, a start after
 * today) is the page again with its message — and links for the default
 * period, which the page names.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

export interface TallyView {
  /** The page the form sends to (GET). */
  action: string;
  /** What the date fields show: as typed when refused, else the period counted. */
  values: { from: string; to: string };
  period: LedgerPeriod;
  pdfHref: string;
  csvHref: string;
  /** A refusal's message, or the note that an end after today was brought back to today. */
  error: string | null;
  note: string | null;
}

/** `base` is where custody-report.pdf / .csv live (`/office/companies/<id>` or `/room/<key>`). */
export function tallyView(now: Date, page: string, base: string, query: { from: string; to: string }, t: T, refused?: string): TallyView {
  let period: LedgerPeriod;
  let error: string | null = refused ? t(refused) : null;
  if (error) period = ledgerPeriod(now, { from: '', to: '' });
  else try {
    period = ledgerPeriod(now, query);
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    error = t(err.messageKey, err.params);
    period = ledgerPeriod(now, { from: '', to: '' });
  }
  const q = new URLSearchParams({ from: period.fromDay, to: period.toDay }).toString();
  return {
    action: page,
    values: error ? query : { from: period.fromDay, to: period.toDay },
    period,
    pdfHref: `${base}/custody-report.pdf?${q}`,
    csvHref: `${base}/custody-report.csv?${q}`,
    error,
    note: period.askedToDay ? t('oversight.ledger.endClamped', { asked: period.askedToDay, today: period.toDay }) : null,
  };
}

/** The instants custodyReport counts between. */
export function reportWindow(period: LedgerPeriod): { from: Date; to: Date } {
  return { from: new Date(period.fromAt), to: new Date(period.toAt) };
}
