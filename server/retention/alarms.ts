import { systemActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { createI18n } from '../i18n/i18n.js';
import { bilingualMessage, oneLine } from '../mail/compose.js';
import { mailDirectorAlert, raiseDirectorAlert } from '../notify/director-alerts.js';
import { addDays, japanToday, type IsoDate } from './calendar.js';
import { loadRules, retentionOfCompany } from './repo.js';

/**
 * 廃棄アラーム (issue 14 §4): once a day kinko counts, per company, the held
 * numbers whose disposal falls due within the look-ahead, those due now and
 * those overdue (due for longer than the look-ahead: "as soon as possible"
 * is being missed). When any exist, the directors get one console alert and
 * one e-mail for the day — counts per company only, never a person's name
 * (the mail may be forwarded; PPC guideline). Numbers on hold are counted
 * apart: they are not due, whatever their date.
 */
export const RETENTION_ALERT_KIND = 'retention-due';

export interface CompanyDue {
  companyId: string;
  companyName: string;
  soon: number;
  due: number;
  overdue: number;
  onHold: number;
}

export async function dueByCompany(db: Deps['db'], today: IsoDate, lookAheadDays: number): Promise<CompanyDue[]> {
  const rules = await loadRules(db);
  const companies = await db.selectFrom('companies').select(['id', 'name']).orderBy('name').execute();
  const soonUntil = addDays(today, lookAheadDays);
  const overdueBefore = addDays(today, -lookAheadDays);
  const out: CompanyDue[] = [];
  for (const c of companies) {
    const row: CompanyDue = { companyId: c.id, companyName: c.name, soon: 0, due: 0, overdue: 0, onHold: 0 };
    for (const p of await retentionOfCompany(db, c.id, rules)) {
      const r = p.retention;
      if (r.state !== 'scheduled') continue;
      if (r.hold) {
        if (r.from <= soonUntil) row.onHold++;
      } else if (r.from < overdueBefore) row.overdue++;
      else if (r.from <= today) row.due++;
      else if (r.from <= soonUntil) row.soon++;
    }
    if (row.soon + row.due + row.overdue + row.onHold > 0) out.push(row);
  }
  return out;
}

export type DigestOutcome = { kind: 'nothing-due' } | { kind: 'already-sent'; day: IsoDate } | { kind: 'raised'; day: IsoDate; alertId: string; mail: string; companies: number };

/**
 * The day's check. The day is claimed first (one kinko_meta row per Japan
 * day, insert-or-nothing), so two instances, or a restart, never send the
 * digest twice in a day.
 */
export async function runRetentionCheck(deps: Pick<Deps, 'db' | 'clock' | 'secrets' | 'mailer' | 'logger' | 'config'>, lookAheadDays: number): Promise<DigestOutcome> {
  const now = deps.clock.now();
  const day = japanToday(now);
  const due = await dueByCompany(deps.db, day, lookAheadDays);
  if (due.length === 0) return { kind: 'nothing-due' };
  const claimed = await deps.db.transaction().execute(async (trx) => {
    const res = await trx.insertInto('kinko_meta').values({ key: `retention-digest:${day}`, value: now.toISOString() }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return null;
    return raiseDirectorAlert(trx, { kind: RETENTION_ALERT_KIND, aboutUserId: null, now });
  });
  if (!claimed) return { kind: 'already-sent', day };
  const i18n = await createI18n();
  const t = { ja: i18n.getFixedT('ja'), en: i18n.getFixedT('en') };
  const mail = await mailDirectorAlert(deps, claimed, (to) =>
    bilingualMessage(to, t, 'retention.digest.subject', { day }, (tl) => [
      tl('retention.digest.lead', { day }),
      '',
      ...due.map((c) => tl('retention.digest.line', { days: lookAheadDays, company: oneLine(c.companyName), soon: c.soon, due: c.due, overdue: c.overdue, onHold: c.onHold })),
      '',
      tl('retention.digest.open', { url: `${deps.config.publicUrl}/office/retention` }),
    ]),
  );
  await deps.db.transaction().execute((trx) =>
    record(trx, systemActing({ key: deps.secrets.audit, now: () => now }, null), {
      action: 'retention.alarm',
      companyId: null,
      targetIds: [claimed],
      result: mail.state === 'failed' ? 'failed' : 'ok',
      details: { day, companies: due.length, due: sum(due, 'due'), overdue: sum(due, 'overdue'), soon: sum(due, 'soon'), mail: mail.state, recipients: mail.recipients },
    }),
  );
  return { kind: 'raised', day, alertId: claimed, mail: mail.state, companies: due.length };
}

function sum(rows: CompanyDue[], k: 'soon' | 'due' | 'overdue'): number {
  return rows.reduce((n, r) => n + r[k], 0);
}
