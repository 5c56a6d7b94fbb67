import type { Generated } from 'kysely';

/** Table types of migration 0010-ingest (and 0013's columns) (see schema.ts for the portability rules). */
export type IngestJobState = 'released' | 'claimed' | 'previewing' | 'committing' | 'committed' | 'done';

/** One row per drop: who is ingesting it, how far it got, and the counts (never a number). */
export interface IngestJobsTable {
  id: string;
  drop_id: string;
  company_id: string;
  state: IngestJobState;
  attempt: number;
  claimed_by: string | null;
  claimed_at: string | null;
  instance_id: string | null;
  last_error: string | null;
  /** Migration 0013: when the last attempt failed for a reason in the file (then last_error says which), and how often. */
  unreadable_at: string | null;
  unreadable_count: Generated<number>;
  persons_added: number | null;
  duplicates: number | null;
  review_count: number | null;
  excluded: number | null;
  committed_by: string | null;
  committed_at: string | null;
  done_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A row held back at commit: where it was and why — the name, never the number. */
export interface IngestReviewTable {
  id: string;
  job_id: string;
  drop_id: string;
  company_id: string;
  reason: string;
  source_sheet: string;
  source_row: number;
  source_page: number | null;
  source_column: string | null;
  name: string | null;
  relation: string;
  employee_code: string | null;
  resolved_at: string | null;
  created_at: string;
}

export interface IngestTables {
  ingest_jobs: IngestJobsTable;
  ingest_review: IngestReviewTable;
}
