/** Table types of migration 0015-disposals (see schema.ts for the portability rules). */
export type DisposalSubjectKind = 'drop' | 'bundle' | 'cohort';

/** One disposal: written only after every object in it was verified gone. Never a number, name or file name. */
export interface DisposalsTable {
  id: string;
  company_id: string;
  subject_kind: DisposalSubjectKind;
  subject_id: string;
  /** 削除理由 code, e.g. 'ingested'. */
  reason: string;
  /** What was done, e.g. storage-delete-all-versions. */
  method: string;
  /** How the absence was checked, e.g. remnants-empty-and-head-not-found. */
  verification: string;
  verified_at: string;
  /** Null: kinko's own recovery finished it. */
  by_user: string | null;
  created_at: string;
}

/** An object a disposal says is gone: its location, backend, key and (when known) ciphertext hash and size. */
export interface DisposalObjectsTable {
  disposal_id: string;
  location: string;
  backend: string;
  object_key: string;
  sha256: string | null;
  size: number | null;
}

export interface DisposalTables {
  disposals: DisposalsTable;
  disposal_objects: DisposalObjectsTable;
}
