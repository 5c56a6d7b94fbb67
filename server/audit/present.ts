import { redactMyNumbers } from '../log/redact.js';
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
  /** The details in words: "label: value" pairs joined with " / ". */
  details: string;
  /** The same pairs one by one, for the page. */
  detailItems: DetailItem[];
  /** Raw JSON, for the CSV (no information lost). */
  targetsJson: string;
  detailsJson: string;
  requestId: string;
}

export function presentRow(r: AuditListRow, t: T): PresentedRow {
  const detailItems = detailsItems(r.details, t);
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
    details: detailItems.length ? detailItems.map((d) => `${d.label}: ${d.value}`).join(' / ') : plainDetails(r.details),
    detailItems,
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

export interface DetailItem {
  key: string;
  label: string;
  value: string;
}

/**
 * Detail keys whose values are codes with words of their own; where to look
 * them up, first hit wins. Other values (counts, ids, fingerprints) are shown
 * as they are.
 */
const VALUE_TEXTS: Readonly<Record<string, readonly string[]>> = {
  reason: ['audit.details.values.reason', 'audit.reason'],
  kind: ['audit.details.values.kind'],
  scope: ['audit.details.values.scope'],
  stage: ['audit.details.values.stage'],
  via: ['audit.details.values.via'],
  method: ['audit.details.values.method'],
  backend: ['audit.details.values.backend'],
  format: ['audit.details.values.format'],
  role: ['audit.role'],
  purposeKey: ['vault.purposes'],
};

/**
 * An entry's details as labelled pairs in the reader's language: a known key
 * gets its label (audit.details.keys), a known code its words; anything
 * unknown is shown as recorded. Details hold ids and counts only, never a
 * My Number; the text still passes the redactor, like every other field.
 */
export function detailsItems(json: string, t: T): DetailItem[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return [];
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null && x !== undefined)
    .map(([key, x]) => ({
      key,
      label: /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key) ? t(`audit.details.keys.${key}`, { defaultValue: key }) : redactMyNumbers(key),
      value: redactMyNumbers(valueText(key, x, t)),
    }));
}

function valueText(key: string, x: unknown, t: T): string {
  if (typeof x === 'boolean') return t(x ? 'audit.details.yes' : 'audit.details.no');
  // Big counts and sizes with thousands separators; sequence numbers as the console shows them.
  if (typeof x === 'number') return Number.isSafeInteger(x) && Math.abs(x) >= 10000 && !/Seq$/.test(key) ? x.toLocaleString('en-US') : String(x);
  if (typeof x === 'string') {
    const places = VALUE_TEXTS[key];
    if (places && /^[A-Za-z0-9_-]{1,64}$/.test(x)) {
      for (const place of places) {
        const found = t(`${place}.${x}`, { defaultValue: '' });
        if (found) return found;
      }
    }
    return x;
  }
  return JSON.stringify(x);
}

/** Details that are not an object of key/value pairs, shown as recorded (redacted). */
function plainDetails(json: string): string {
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return '';
  } catch {
    // not JSON: shown as it is
  }
  return json === '{}' ? '' : redactMyNumbers(json);
}
