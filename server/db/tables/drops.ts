/** Table types of migration 0007-drops (see schema.ts for the portability rules). */
export type DropKind = 'client-encrypted' | 'server-encrypted';
/** received (受付済) → ingested (取込済) / disposed (廃棄済); later issues may add intermediate states. */
export type DropState = 'received' | 'ingested' | 'disposed' | (string & {});

export interface DropsTable {
  /** Random id shown to the client on the receipt. */
  id: string;
  company_id: string;
  /** The client user who sent it. */
  uploaded_by: string;
  /** Original file name, cleaned (drops/file-name.ts): display metadata only, never a path. */
  file_name: string;
  /** Opaque random key in the drops location; never derived from the name or the company. */
  stored_key: string;
  /** Bytes of the stored ciphertext. */
  size: number;
  /** Hex SHA-256 of the stored ciphertext. */
  sha256: string;
  /** Who encrypted it: the browser (or the client's own gpg) or the server while receiving. */
  kind: DropKind;
  state: DropState;
  created_at: string;
  updated_at: string;
}

export interface DropTables {
  drops: DropsTable;
}
