import type { Deps } from '../deps.js';
import type { IsoDate } from './calendar.js';
import { loadRules, retentionOfCompany } from './repo.js';

/**
 * The 廃棄予定 page's table (issue 14 §4): for each company, how many held
 * numbers may be disposed of in each of the coming months, how many already
 * may (due now or overdue), how many are on hold, and how many have no date
 * that can be worked out (unknown basis) — counts only, never a number.
 * Employees still in service are counted apart, as having no end date.
 */
export interface ScheduleRow {
  companyId: string;
  companyName: string;
  dueNow: number;
  byMonth: Record<string, number>;
  later: number;
  onHold: number;
  unknown: number;
  inService: number;
}

export interface Schedule {
  months: string[];
  rows: ScheduleRow[];
}

function monthsFrom(today: IsoDate, count: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 + i, 1));
    return d.toISOString().slice(0, 7);
  });
}

export async function disposalSchedule(db: Deps['db'], today: IsoDate, monthCount = 12): Promise<Schedule> {
  const months = monthsFrom(today, monthCount);
  const last = months[months.length - 1]!;
  const rules = await loadRules(db);
  const companies = await db.selectFrom('companies').select(['id', 'name']).orderBy('name').execute();
  const rows: ScheduleRow[] = [];
  for (const c of companies) {
    const row: ScheduleRow = { companyId: c.id, companyName: c.name, dueNow: 0, byMonth: Object.fromEntries(months.map((m) => [m, 0])), later: 0, onHold: 0, unknown: 0, inService: 0 };
    const persons = await retentionOfCompany(db, c.id, rules);
    if (persons.length === 0) continue;
    for (const { retention: r } of persons) {
      if (r.hold) row.onHold++;
      else if (r.state === 'in-service') row.inService++;
      else if (r.state === 'unknown') row.unknown++;
      else if (r.from <= today) row.dueNow++;
      else if (r.from.slice(0, 7) <= last) row.byMonth[r.from.slice(0, 7)]!++;
      else row.later++;
    }
    rows.push(row);
  }
  return { months, rows };
}
