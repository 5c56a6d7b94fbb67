import { jstText } from './filter.js';
import type { AuditListRow } from './repo.js';

type T = (key: string, opts?: Record<string, unknown>) => string;

/** One entry in words a person reads: Japan time, labels for codes, names next to ids. */
export interface PresentedRow {
  seq: number;
  at: string;
  action: string;
  actionLabel: string;
  result: string;
  resultLabel: string;
  actorName: string;
  actorLogin: string;
  actorId: string;
  roleLabel: string;
  companyName: string;
  companyId: string;
  targets: string;
  purpose: string;
  details: string;
  /** Raw JSON, for the CSV (no information lost). */
  targetsJson: string;
  detailsJson: string;
  requestId: string;
}

export function presentRow(r: AuditListRow, t: T): PresentedRow {
  return {
    seq: r.seq,
    at: jstText(r.at),
    action: r.action,
    // Labels are looked up flat ("auth.login" → "auth_login"): dots are i18next's key separator.
    actionLabel: t(`audit.actions.${r.action.replace(/\./g, '_')}`, { defaultValue: '' }),
    result: r.result,
    resultLabel: t(`audit.result.${r.result}`, { defaultValue: r.result }),
    actorName: r.actor_name ?? '',
    actorLogin: r.actor_login ?? '',
    actorId: r.actor_id ?? '',
    roleLabel: r.actor_role ? t(`audit.role.${r.actor_role}`, { defaultValue: r.actor_role }) : '',
    companyName: r.company_name ?? '',
    companyId: r.company_id ?? '',
    targets: listText(r.target_ids),
    purpose: r.purpose ?? '',
    details: detailsText(r.details),
    targetsJson: r.target_ids,
    detailsJson: r.details,
    requestId: r.request_id ?? '',
  };
}

function listText(json: string): string {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.map(String).join(', ') : json;
  } catch {
    return json;
  }
}

function detailsText(json: string): string {
  try {
    const v = JSON.parse(json) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return json;
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => `${k}: ${String(x)}`)
      .join(' / ');
  } catch {
    return json;
  }
}
