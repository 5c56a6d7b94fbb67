/** Table types of migration 0003-audit. */
export interface AuditLogTable {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  company_id: string | null;
  action: string;
  /** JSON array of ids (person tokens, drop ids, user ids) — never a My Number. */
  target_ids: string;
  purpose: string | null;
  result: 'ok' | 'denied' | 'failed';
  request_id: string | null;
  /** JSON object of counts and short codes — never a My Number, password or code. */
  details: string;
  prev_hash: string;
  mac: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  mac: string;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
