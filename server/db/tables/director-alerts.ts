/** Table types of migration 0011-director-alerts (see schema.ts for the portability rules). */
export type DirectorAlertMailState = 'pending' | 'sent' | 'nobody' | 'failed';

/** A notice on the director's console; kept until a director marks it seen. Ids and times only. */
export interface DirectorAlertsTable {
  id: string;
  /** What happened, e.g. 'reveal-block'. */
  kind: string;
  about_user_id: string | null;
  created_at: string;
  mail_state: DirectorAlertMailState;
  mail_recipients: number | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface DirectorAlertTables {
  director_alerts: DirectorAlertsTable;
}
