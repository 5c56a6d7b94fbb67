/** Table types of migration 0023-year-end-inputs (see schema.ts for the portability rules). No number in any column (P3). */
export interface YearEndDropsTable {
  drop_id: string;
  company_id: string;
  /** 令和 year of the pay data (7 = 令和7年分). */
  nenbun: number;
  marked_by: string;
  marked_at: string;
}

export type YearEndAction = 'link' | 'not-provided';

/** Staff's answer for one person of one row that kinko could not match alone. */
export interface YearEndResolutionsTable {
  drop_id: string;
  line: number;
  /** 'self' | 'spouse' | 'dependents.<i>' | 'under16.<i>' */
  subject: string;
  action: YearEndAction;
  person_id: string | null;
  note: string | null;
  decided_by: string;
  decided_at: string;
}

export interface YearEndTables {
  year_end_drops: YearEndDropsTable;
  year_end_resolutions: YearEndResolutionsTable;
}
