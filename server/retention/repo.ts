import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DocumentType, Service } from './catalog.js';
import { retentionOf, type CompanyFacts, type Retention, type Rules } from './retention-end.js';

/**
 * The retention rules and facts as the office keeps them (migration 0019):
 * the catalog rows the director may correct, the services ticked per company,
 * the contract's end, and per person the dates and controls. Plain objects
 * out; the counting is retention-end.ts.
 */
type Db = Kysely<Database>;

export async function loadRules(db: Db): Promise<Rules> {
  const docs = await db.selectFrom('retention_document_types').selectAll().orderBy('id').execute();
  const services = await db.selectFrom('retention_services').selectAll().orderBy('position').execute();
  const links = await db.selectFrom('retention_service_documents').selectAll().execute();
  const documents: DocumentType[] = docs.map((d) => ({
    id: d.id, nameJa: d.name_ja, nameEn: d.name_en, years: d.years === null ? null : Number(d.years),
    anchor: d.anchor, carries: d.carries, confirmed: Number(d.confirmed) === 1, basis: d.basis,
  }));
  const svc: Service[] = services.map((s) => ({
    id: s.id, nameJa: s.name_ja, nameEn: s.name_en,
    documents: links.filter((l) => l.service_id === s.id).map((l) => l.document_type_id).sort(),
  }));
  return { documents, services: svc };
}

export async function companyFacts(db: Db, companyId: string): Promise<CompanyFacts> {
  const services = await db.selectFrom('company_services').select('service_id').where('company_id', '=', companyId).orderBy('service_id').execute();
  const contract = await db.selectFrom('company_contracts').select('ended_on').where('company_id', '=', companyId).executeTakeFirst();
  return { services: services.map((s) => s.service_id), contractEndOn: contract?.ended_on ?? null };
}

export interface PersonRetentionView {
  personId: string;
  name: string;
  relation: string;
  employeeCode: string | null;
  employeePersonId: string | null;
  retention: Retention;
}

/** Every person held for a company with when their number may go — names and relations only, never a number. */
export async function retentionOfCompany(db: Db, companyId: string, rules?: Rules): Promise<PersonRetentionView[]> {
  const r = rules ?? (await loadRules(db));
  const company = await companyFacts(db, companyId);
  const rows = await db
    .selectFrom('persons')
    .leftJoin('person_retention', 'person_retention.person_id', 'persons.id')
    .select([
      'persons.id', 'persons.name', 'persons.relation', 'persons.employee_code', 'persons.employee_person_id',
      'person_retention.left_on', 'person_retention.left_household_on', 'person_retention.hold_reason', 'person_retention.reserved_on',
    ])
    .where('persons.company_id', '=', companyId)
    .where('persons.state', '=', 'held')
    .orderBy('persons.employee_code')
    .orderBy('persons.id')
    .execute();
  // a dependent's need ends when the employee leaves, too
  const leftOnOf = new Map(rows.map((p) => [p.id, p.left_on]));
  return rows.map((p) => ({
    personId: p.id,
    name: p.name,
    relation: p.relation,
    employeeCode: p.employee_code,
    employeePersonId: p.employee_person_id,
    retention: retentionOf(
      { relation: p.relation, leftOn: p.employee_person_id ? (leftOnOf.get(p.employee_person_id) ?? null) : p.left_on, leftHouseholdOn: p.left_household_on },
      company,
      { hold: p.hold_reason ? { reason: p.hold_reason } : null, reservedOn: p.reserved_on },
      r,
    ),
  }));
}
