import type { CollectRequestRow } from './repo.js';

/**
 * What the requester (client room, company page) may see of a request: a
 * status word and dates. Never a number — there is none here to show — and
 * not the decline reason either: that is the employee's word to the office.
 */
export type ShownStatus = 'requested' | 'submitted' | 'expired' | 'declined' | 'revoked';

export function shownStatus(row: Pick<CollectRequestRow, 'status' | 'expires_at'>, now: Date): ShownStatus {
  if (row.status === 'requested') return row.expires_at <= now.toISOString() ? 'expired' : 'requested';
  if (row.status === 'declined') return 'declined';
  if (row.status === 'revoked') return 'revoked';
  return 'submitted';
}

export interface RequestView {
  id: string;
  name: string;
  employeeCode: string | null;
  delivery: 'mail' | 'slip';
  status: ShownStatus;
  requestedAt: string;
  expiresAt: string;
  /** Still open: the requester may revoke the link. */
  revocable: boolean;
}

export function requestView(row: CollectRequestRow, now: Date): RequestView {
  const status = shownStatus(row, now);
  return {
    id: row.id,
    name: row.person_name,
    employeeCode: row.employee_code,
    delivery: row.delivery,
    status,
    requestedAt: row.created_at,
    expiresAt: row.expires_at,
    revocable: status === 'requested' || status === 'expired',
  };
}
