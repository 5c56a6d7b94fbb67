import type { Transaction } from 'kysely';
import { auditAs, type Acting } from '../accounts/acting.js';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { BadRequest, NotFound } from '../http/errors.js';
import { isIsoDate, japanToday, type IsoDate } from './calendar.js';
import { companyFacts, loadRules } from './repo.js';
import { isEmployee, retentionOf } from './retention-end.js';

/**
 * The changes that move a number towards disposal (issue 14 §1–2), each
 * checked and audited in the transaction that makes it: a departure reported
 * (退職 / 扶養から外れた), a hold (保留) set or lifted, a disposal booked by
 * hand (削除予約), the services contracted per company, the contract's end.
 * Ids, kinds and dates only go to the trail — never a name or a number.
 */
type Trx = Transaction<Database>;
type RetentionDeps = Deps;

export type DepartureKind = 'left' | 'left-household';

async function heldPerson(trx: Trx, companyId: string, personId: string) {
  const p = await trx
    .selectFrom('persons')
    .select(['id', 'relation', 'employee_person_id'])
    .where('id', '=', personId)
    .where('company_id', '=', companyId) // another company's person is not found (P7)
    .where('state', '=', 'held')
    .executeTakeFirst();
  if (!p) throw new NotFound();
  return p;
}

function checkedDate(deps: RetentionDeps, on: string, { past }: { past: boolean }): IsoDate {
  if (!isIsoDate(on)) throw new BadRequest('retention.errors.badDate');
  if (past && on > japanToday(deps.clock.now())) throw new BadRequest('retention.errors.futureDate');
  return on;
}

async function upsert(trx: Trx, personId: string, set: Partial<Database['person_retention']>) {
  const exists = await trx.selectFrom('person_retention').select('person_id').where('person_id', '=', personId).executeTakeFirst();
  if (exists) await trx.updateTable('person_retention').set(set).where('person_id', '=', personId).execute();
  else await trx.insertInto('person_retention').values({ person_id: personId, ...set }).execute();
}

/** 退職 for an employee's row, 扶養から外れた for a spouse's or dependent's; a date in the future is refused. */
export async function reportDeparture(deps: RetentionDeps, acting: Acting, input: { companyId: string; personId: string; kind?: DepartureKind; on: string; via: 'room' | 'office' | 'ingest' }) {
  await reportDepartures(deps, acting, { companyId: input.companyId, via: input.via, reports: [input] });
}

/**
 * Several departures at once (the room's form, a roster column): all are
 * checked and recorded in one transaction, so one bad date records none —
 * nothing half-done. Without a kind, the relation decides it.
 */
export async function reportDepartures(deps: RetentionDeps, acting: Acting, input: DeparturesInput) {
  await deps.db.transaction().execute((trx) => recordDepartures(trx, deps, acting, input));
}

export interface DeparturesInput {
  companyId: string;
  via: 'room' | 'office' | 'ingest';
  reports: Array<{ personId: string; on: string; kind?: DepartureKind }>;
}

/** reportDepartures inside the caller's transaction (an ingest's commit records a roster's 退職日 with its persons). */
export async function recordDepartures(trx: Trx, deps: RetentionDeps, acting: Acting, input: DeparturesInput) {
  const checked = input.reports.map((r) => ({ ...r, on: checkedDate(deps, r.on, { past: true }) }));
  {
    for (const r of checked) {
      const p = await heldPerson(trx, input.companyId, r.personId);
      const kind: DepartureKind = r.kind ?? (isEmployee(p.relation) ? 'left' : 'left-household');
      if ((kind === 'left') !== isEmployee(p.relation)) throw new BadRequest(kind === 'left' ? 'retention.errors.leftIsForEmployees' : 'retention.errors.householdIsForFamily');
      const now = deps.clock.now().toISOString();
      await upsert(trx, p.id, kind === 'left' ? { left_on: r.on, reported_by: acting.userId, reported_at: now } : { left_household_on: r.on, reported_by: acting.userId, reported_at: now });
      await auditAs(trx, deps, acting, { action: 'retention.departure', companyId: input.companyId, targetIds: [p.id], details: { kind, on: r.on, via: input.via } });
    }
  }
}

/** 保留 with a reason stops disposal; `reason: null` lifts it. */
export async function setHold(deps: RetentionDeps, acting: Acting, input: { companyId: string; personId: string; reason: string | null }) {
  const reason = input.reason?.trim() ?? null;
  if (reason !== null && (reason.length === 0 || reason.length > 200)) throw new BadRequest('retention.errors.holdReason');
  await deps.db.transaction().execute(async (trx) => {
    const p = await heldPerson(trx, input.companyId, input.personId);
    const now = deps.clock.now().toISOString();
    await upsert(trx, p.id, reason ? { hold_reason: reason, hold_by: acting.userId, hold_at: now } : { hold_reason: null, hold_by: acting.userId, hold_at: now });
    // the reason is the office's own words: it may name the matter, so it stays out of the trail
    await auditAs(trx, deps, acting, { action: reason ? 'retention.hold.set' : 'retention.hold.lifted', companyId: input.companyId, targetIds: [p.id] });
  });
}

/**
 * 削除予約: a disposal date set by hand. Never before the date the documents
 * allow, and only for someone whose need has ended (a departure is reported
 * first); `on: null` cancels the booking.
 */
export async function bookDisposal(deps: RetentionDeps, acting: Acting, input: { companyId: string; personId: string; on: string | null }) {
  const on = input.on === null ? null : checkedDate(deps, input.on, { past: false });
  await deps.db.transaction().execute(async (trx) => {
    const p = await heldPerson(trx, input.companyId, input.personId);
    if (on !== null) {
      const [rules, company, facts, employee] = await Promise.all([
        loadRules(trx),
        companyFacts(trx, input.companyId),
        trx.selectFrom('person_retention').selectAll().where('person_id', '=', p.id).executeTakeFirst(),
        p.employee_person_id ? trx.selectFrom('person_retention').select('left_on').where('person_id', '=', p.employee_person_id).executeTakeFirst() : Promise.resolve(undefined),
      ]);
      const statutory = retentionOf(
        { relation: p.relation, leftOn: p.employee_person_id ? (employee?.left_on ?? null) : (facts?.left_on ?? null), leftHouseholdOn: facts?.left_household_on ?? null },
        company,
        {},
        rules,
      );
      if (statutory.state === 'in-service') throw new BadRequest('retention.errors.stillNeeded');
      if (statutory.state === 'unknown' && statutory.reason === 'no-services') throw new BadRequest('retention.errors.noServices');
      if (statutory.state === 'scheduled' && on < statutory.from) throw new BadRequest('retention.errors.beforeStatutory', { from: statutory.from });
    }
    const now = deps.clock.now().toISOString();
    await upsert(trx, p.id, { reserved_on: on, reserved_by: acting.userId, reserved_at: now });
    await auditAs(trx, deps, acting, { action: on ? 'retention.booked' : 'retention.booking.cancelled', companyId: input.companyId, targetIds: [p.id], details: { on } });
  });
}

/** The services the office contracts for a company (the director ticks them): the documents they produce set the periods. */
export async function setCompanyServices(deps: RetentionDeps, acting: Acting, input: { companyId: string; serviceIds: string[] }) {
  const wanted = [...new Set(input.serviceIds)].sort();
  await deps.db.transaction().execute(async (trx) => {
    const known = new Set((await trx.selectFrom('retention_services').select('id').execute()).map((s) => s.id));
    if (wanted.some((s) => !known.has(s))) throw new BadRequest('retention.errors.unknownService');
    const company = await trx.selectFrom('companies').select('id').where('id', '=', input.companyId).executeTakeFirst();
    if (!company) throw new NotFound();
    await trx.deleteFrom('company_services').where('company_id', '=', input.companyId).execute();
    const now = deps.clock.now().toISOString();
    if (wanted.length > 0) await trx.insertInto('company_services').values(wanted.map((s) => ({ company_id: input.companyId, service_id: s, set_at: now, set_by: acting.userId }))).execute();
    await auditAs(trx, deps, acting, { action: 'retention.services', companyId: input.companyId, details: { services: wanted.join(',') } });
  });
}

/** 契約終了: from the next day everything held for the company is due to be returned or destroyed; null reopens. */
export async function setContractEnd(deps: RetentionDeps, acting: Acting, input: { companyId: string; on: string | null }) {
  const on = input.on === null ? null : checkedDate(deps, input.on, { past: false });
  await deps.db.transaction().execute(async (trx) => {
    const company = await trx.selectFrom('companies').select('id').where('id', '=', input.companyId).executeTakeFirst();
    if (!company) throw new NotFound();
    const now = deps.clock.now().toISOString();
    const exists = await trx.selectFrom('company_contracts').select('company_id').where('company_id', '=', input.companyId).executeTakeFirst();
    if (exists) await trx.updateTable('company_contracts').set({ ended_on: on, set_at: now, set_by: acting.userId }).where('company_id', '=', input.companyId).execute();
    else await trx.insertInto('company_contracts').values({ company_id: input.companyId, ended_on: on, set_at: now, set_by: acting.userId }).execute();
    await auditAs(trx, deps, acting, { action: 'retention.contract-end', companyId: input.companyId, details: { on } });
  });
}
