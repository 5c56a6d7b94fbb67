/** 0/1 and ISO-8601 UTC text, as in schema.ts (not imported from there: schema.ts gathers these tables). */
type Flag = 0 | 1;
type Timestamp = string;

/** Table types of migration 0019-retention. Dates without a time are `YYYY-MM-DD` in Japan's calendar. */
export interface RetentionDocumentTypesTable {
  id: string;
  name_ja: string;
  name_en: string;
  years: number | null;
  anchor: 'completion' | 'after-tax-year';
  carries: 'employee' | 'family';
  confirmed: Flag;
  basis: string;
  updated_at: Timestamp | null;
  updated_by: string | null;
}

export interface RetentionServicesTable {
  id: string;
  name_ja: string;
  name_en: string;
  position: number;
}

export interface RetentionServiceDocumentsTable {
  service_id: string;
  document_type_id: string;
}

export interface CompanyServicesTable {
  company_id: string;
  service_id: string;
  set_at: Timestamp;
  set_by: string | null;
}

export interface CompanyContractsTable {
  company_id: string;
  ended_on: string | null;
  set_at: Timestamp;
  set_by: string | null;
}

export interface PersonRetentionTable {
  person_id: string;
  left_on: string | null;
  left_household_on: string | null;
  reported_by: string | null;
  reported_at: Timestamp | null;
  hold_reason: string | null;
  hold_by: string | null;
  hold_at: Timestamp | null;
  reserved_on: string | null;
  reserved_by: string | null;
  reserved_at: Timestamp | null;
}

export interface RetentionTables {
  retention_document_types: RetentionDocumentTypesTable;
  retention_services: RetentionServicesTable;
  retention_service_documents: RetentionServiceDocumentsTable;
  company_services: CompanyServicesTable;
  company_contracts: CompanyContractsTable;
  person_retention: PersonRetentionTable;
}
