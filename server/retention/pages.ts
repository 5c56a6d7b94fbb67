import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { basisLineText, retentionSummary } from './basis-text.js';
import { japanToday } from './calendar.js';
import { companyFacts, loadRules, retentionOfCompany } from './repo.js';
import { pendingMoveCount } from './reseal.js';
import { disposalSchedule, type Schedule } from './schedule.js';

/**
 * What the retention pages show, worked out without req/res: a company's
 * services, contract and people with their dates (office), one person's
 * section (office), and the list a client reports leavers from (room —
 * names, relations and employee codes only, never a number).
 */
type Lang = 'ja' | 'en';
const ERROR_KEYS = new Set(['badDate', 'futureDate', 'leftIsForEmployees', 'householdIsForFamily', 'holdReason', 'stillNeeded', 'noServices', 'beforeStatutory', 'unknownService', 'nothing']);

/** A message key carried in a redirect's query: only a known one is shown. */
export function knownErrorKey(v: unknown): string | null {
  return typeof v === 'string' && ERROR_KEYS.has(v) ? `retention.errors.${v}` : null;
}

async function companyOrNotFound(deps: Pick<Deps, 'db'>, companyId: string) {
  const c = await deps.db.selectFrom('companies').select(['id', 'name']).where('id', '=', companyId).executeTakeFirst();
  if (!c) throw new NotFound();
  return c;
}

export async function companyRetentionPage(deps: Pick<Deps, 'db'>, companyId: string, lang: Lang) {
  const company = await companyOrNotFound(deps, companyId);
  const rules = await loadRules(deps.db);
  const facts = await companyFacts(deps.db, companyId);
  const persons = await retentionOfCompany(deps.db, companyId, rules);
  return {
    company,
    services: rules.services.map((s) => ({ ...s, on: facts.services.includes(s.id) })),
    contractEndOn: facts.contractEndOn ?? null,
    persons: persons.map((p) => ({ ...p, summary: retentionSummary(p.retention, lang), basis: p.retention.basis.map((b) => basisLineText(b, lang)) })),
  };
}

/** The person page's retention section. */
export async function personRetentionSection(deps: Pick<Deps, 'db' | 'clock'>, personId: string, lang: Lang) {
  const p = await deps.db.selectFrom('persons').select(['company_id']).where('id', '=', personId).executeTakeFirst();
  if (!p) throw new NotFound();
  const mine = (await retentionOfCompany(deps.db, p.company_id)).find((x) => x.personId === personId);
  const facts = await deps.db.selectFrom('person_retention').selectAll().where('person_id', '=', personId).executeTakeFirst();
  return {
    summary: mine ? retentionSummary(mine.retention, lang) : '',
    basis: mine ? mine.retention.basis.map((b) => basisLineText(b, lang)) : [],
    departureOn: facts?.left_on ?? facts?.left_household_on ?? null,
    hold: facts?.hold_reason ?? null,
    reservedOn: facts?.reserved_on ?? null,
    today: japanToday(deps.clock.now()),
  };
}

/** The company a held person belongs to (for office actions on one person), or 404. */
export async function companyOfPerson(deps: Pick<Deps, 'db'>, personId: string): Promise<string> {
  const p = await deps.db.selectFrom('persons').select(['company_id']).where('id', '=', personId).where('state', '=', 'held').executeTakeFirst();
  if (!p) throw new NotFound();
  return p.company_id;
}

/** The room's list: who the office holds for this company, and what was already reported. */
export async function roomLeavers(deps: Pick<Deps, 'db' | 'clock'>, companyId: string) {
  const persons = await retentionOfCompany(deps.db, companyId);
  const facts = await deps.db
    .selectFrom('person_retention')
    .innerJoin('persons', 'persons.id', 'person_retention.person_id')
    .select(['person_retention.person_id', 'person_retention.left_on', 'person_retention.left_household_on'])
    .where('persons.company_id', '=', companyId)
    .execute();
  const told = new Map(facts.map((f) => [f.person_id, f.left_on ?? f.left_household_on]));
  return {
    today: japanToday(deps.clock.now()),
    persons: persons.map((p) => ({ personId: p.personId, name: p.name, relation: p.relation, employeeCode: p.employeeCode, departureOn: told.get(p.personId) ?? null })),
  };
}

/** The 廃棄予定 page: counts per company and month, and how many numbers wait to be moved into their month's key. */
export async function schedulePage(deps: Pick<Deps, 'db' | 'clock'>): Promise<{ today: string; schedule: Schedule; waiting: number }> {
  const today = japanToday(deps.clock.now());
  return { today, schedule: await disposalSchedule(deps.db, today), waiting: await pendingMoveCount(deps) };
}
