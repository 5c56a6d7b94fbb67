/** Table types of migration 0020-disposal-batches (see schema.ts for the portability rules). Ids, codes and times only. */
export type DisposalBatchState = 'awaiting-confirmation' | 'approved' | 'keys-destroyed' | 'done';

export interface DisposalBatchesTable {
  id: string;
  company_id: string;
  state: DisposalBatchState;
  /** 削除理由 from the list (retention.batch.reasons.*) */
  reason_code: string;
  /** the director's own words beside it */
  reason_text: string;
  approved_by: string;
  approved_at: string;
  /** the second key holder who confirmed, when the office has one */
  confirmed_by: string | null;
  confirmed_at: string | null;
  /** set when the keys step decided it: crypto-erase only if every person's data key was destroyed */
  method: 'crypto-erase' | 'purge' | null;
  /** data key ids destroyed, space-separated */
  key_ids: string;
  keys_destroyed_at: string | null;
  decrypt_failed_at: string | null;
  done_at: string | null;
}

export interface DisposalBatchPersonsTable {
  batch_id: string;
  person_id: string;
  token: string;
  data_key_id: string;
}

export interface DisposalCertificatesTable {
  id: string;
  batch_id: string;
  company_id: string;
  copy: 'client' | 'office';
  pdf_base64: string;
  signature: string;
  issued_by: string;
  issued_at: string;
}

export interface DisposalBatchTables {
  disposal_batches: DisposalBatchesTable;
  disposal_batch_persons: DisposalBatchPersonsTable;
  disposal_certificates: DisposalCertificatesTable;
}
