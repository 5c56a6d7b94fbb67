/** Table types of migration 0008-notify (see schema.ts for the portability rules). */
type Flag = 0 | 1;

/** One e-mail notice per room per batching window. Counts and times only — never file names. */
export interface NoticesTable {
  id: string;
  company_id: string;
  /** 1 while new arrivals of the room join this notice; 0 once a sender claimed it. */
  open: Flag;
  drop_count: number;
  first_at: string;
  last_at: string;
  due_at: string;
  claim_token: string | null;
  claimed_at: string | null;
  attempts: number;
  sent_at: string | null;
  /** How many addresses the e-mail went to (0: nobody to tell). */
  recipients: number | null;
}

export interface NoticeArrivalsTable {
  drop_id: string;
  notice_id: string;
  company_id: string;
  arrived_at: string;
}

export interface NoticeSeenTable {
  user_id: string;
  notice_id: string;
  seen_count: number;
  seen_at: string;
}

export interface NotifyTables {
  notices: NoticesTable;
  notice_arrivals: NoticeArrivalsTable;
  notice_seen: NoticeSeenTable;
}
