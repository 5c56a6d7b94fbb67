import { BadRequest } from '../http/errors.js';
import type { AuditResult } from './service.js';

/** What the director typed into the filter form, echoed back into the form and the export. */
export interface FilterForm {
  action: string;
  company: string;
  actor: string;
  from: string;
  to: string;
  result: string;
}

/** The same, checked and turned into query terms. */
export interface AuditFilter {
  /** Exact action, or a prefix when `actionPrefix`. */
  action?: string;
  actionPrefix?: boolean;
  companyId?: string;
  /** A login ID (looked up) or a raw actor id. */
  actor?: string;
  /** ISO instant, inclusive. */
  fromAt?: string;
  /** ISO instant, exclusive. */
  toAt?: string;
  result?: AuditResult;
}

const RESULTS: readonly AuditResult[] = ['ok', 'denied', 'failed'];
const JST_OFFSET_MS = 9 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/**
 * Reads the filter from a query string or a form body. Anything malformed is
 * refused with one clear message rather than silently ignored: a director who
 * asked for "April" must not get "everything" by mistake.
 */
export function parseFilter(input: Record<string, unknown>): { form: FilterForm; filter: AuditFilter } {
  const text = (name: string, max: number): string => {
    const v = input[name];
    if (v === undefined) return '';
    if (typeof v !== 'string' || v.length > max) throw new BadRequest('audit.badFilter');
    return v.trim();
  };
  const form: FilterForm = {
    action: text('action', 100),
    company: text('company', 100),
    actor: text('actor', 100),
    from: text('from', 10),
    to: text('to', 10),
    result: text('result', 10),
  };
  const filter: AuditFilter = {};
  if (form.action) {
    const prefix = form.action.endsWith('*');
    const action = prefix ? form.action.slice(0, -1) : form.action;
    if (action) Object.assign(filter, { action, actionPrefix: prefix });
  }
  if (form.company) filter.companyId = form.company;
  if (form.actor) filter.actor = form.actor;
  if (form.from) filter.fromAt = new Date(jstMidnight(form.from)).toISOString();
  if (form.to) filter.toAt = new Date(jstMidnight(form.to) + DAY_MS).toISOString();
  if (form.result) {
    if (!RESULTS.includes(form.result as AuditResult)) throw new BadRequest('audit.badFilter');
    filter.result = form.result as AuditResult;
  }
  return { form, filter };
}

/** Dates in the form are office days (Japan time), stored times are UTC. */
function jstMidnight(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new BadRequest('audit.badFilter');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new BadRequest('audit.badFilter');
  return utc - JST_OFFSET_MS;
}

/** "2025-04-01 09:30:00" in Japan time, for the table and the CSV. */
export function jstText(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms + JST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** "20250401-093000" in Japan time, for file names the office sorts by. */
export function jstFileStamp(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** Hidden fields that carry the filter into the export and verify forms. */
export function filterFields(form: FilterForm): Array<[string, string]> {
  return (Object.entries(form) as Array<[string, string]>).filter(([, v]) => v !== '');
}
