import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** The rows an ingest held back for review, with their reason and place in the file. Never a number (P3). */
type Db = Kysely<Database> | Transaction<Database>;

export interface ReviewInsert {
  id: string;
  jobId: string;
  dropId: string;
  companyId: string;
  reason: string;
  sheet: string;
  row: number;
  page: number | null;
  column: string | null;
  name: string | null;
  relation: string;
  employeeCode: string | null;
  now: string;
}

export async function insertReviewRows(db: Db, rows: readonly ReviewInsert[]): Promise<void> {
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('ingest_review')
      .values(
        rows.slice(i, i + 500).map((r) => ({
          id: r.id, job_id: r.jobId, drop_id: r.dropId, company_id: r.companyId, reason: r.reason,
          source_sheet: r.sheet, source_row: r.row, source_page: r.page, source_column: r.column,
          name: r.name, relation: r.relation, employee_code: r.employeeCode, resolved_at: null, created_at: r.now,
        })),
      )
      .execute();
  }
}

export interface ReviewRecord {
  reason: string;
  sheet: string;
  row: number;
  page: number | null;
  name: string | null;
  relation: string;
}

export async function listReviewOfDrop(db: Db, dropId: string): Promise<ReviewRecord[]> {
  const rows = await db
    .selectFrom('ingest_review')
    .select(['reason', 'source_sheet', 'source_row', 'source_page', 'name', 'relation'])
    .where('drop_id', '=', dropId)
    .orderBy('source_sheet')
    .orderBy('source_row')
    .execute();
  return rows.map((r) => ({ reason: r.reason, sheet: r.source_sheet, row: Number(r.source_row), page: r.source_page == null ? null : Number(r.source_page), name: r.name, relation: r.relation }));
}
