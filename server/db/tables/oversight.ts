/** Table types of migration 0029-oversight (see schema.ts for the portability rules). No number in any column (P3). */
export interface OfficeSafeguardsTable {
  /** Always 'office': one row. */
  id: string;
  basic_policy: string;
  handling_rules: string;
  hosting: string;
  updated_by: string;
  updated_at: string;
}

/** One client's 許諾 of one 再委託先 (番号法10条). */
export interface SubcontractApprovalsTable {
  company_id: string;
  /** 'database' | 'storage' | 'mail' (oversight/safeguards.ts `subcontractors`). */
  what: string;
  /** The provider as configured when the client approved (e.g. `s3:minio.example`). */
  provider: string;
  /** YYYY-MM-DD, the day the client approved (Japan). */
  approved_on: string;
  recorded_by: string;
  recorded_at: string;
}

/** A custody report the office issued and signed with the office key. */
export interface CustodyReportsTable {
  id: string;
  company_id: string;
  period_from: string;
  period_to: string;
  pdf_base64: string;
  /** Armored detached OpenPGP signature over the PDF's bytes. */
  pdf_signature: string;
  /** The CSV exactly as served (UTF-8 with BOM). */
  csv_text: string;
  csv_signature: string;
  issued_by: string;
  issued_at: string;
}

export interface OversightTables {
  office_safeguards: OfficeSafeguardsTable;
  subcontract_approvals: SubcontractApprovalsTable;
  custody_reports: CustodyReportsTable;
}
