import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import { NOT_AVAILABLE, type Facts } from './bundle-facts.js';

/**
 * The office's safeguards and its 再委託 as a custody report shows them
 * (retention-and-breach.md §6.1–6.2). The 再委託先 come from the running
 * configuration (where the database, the storage locations and mail are),
 * naming hosts only — never a credential or a URL with a password. The
 * director maintains the texts (基本方針, 取扱規程 summary, where data is
 * hosted) and each client's 許諾 date on /office/oversight/safeguards
 * (safeguards-service.ts). A 許諾 holds for the provider it was given for:
 * once the office moves (say from its own server to S3), that 再委託先 reads
 * 未許諾 again until the client approves the new one.
 */
export type SubcontractKind = 'database' | 'storage' | 'mail';
export const SUBCONTRACT_KINDS: readonly SubcontractKind[] = ['database', 'storage', 'mail'];

export interface Subcontractor {
  what: SubcontractKind;
  where: string;
}

/** A 再委託先 with this client's 許諾: the day, or null (未許諾); `approvedFor` names an earlier provider the 許諾 was given for. */
export interface ApprovedSubcontractor extends Subcontractor {
  approvedOn: string | null;
  approvedFor: string | null;
}

export interface SafeguardTexts {
  policy: string;
  rules: string;
  hosting: string;
  updatedAt: string;
}

export function subcontractors(config: Pick<Config, 'database' | 'storage' | 'mail'>): Subcontractor[] {
  const out: Subcontractor[] = [];
  out.push({ what: 'database', where: config.database.kind === 'sqlite' ? 'local' : `postgres:${hostOf(config.database.url)}` });
  const s = config.storage;
  out.push({ what: 'storage', where: s.kind === 'local' ? 'local' : `s3:${s.endpoint ? hostOf(s.endpoint) : `aws ${s.region}`}` });
  out.push({ what: 'mail', where: config.mail.kind === 'outbox' ? 'local' : `smtp:${hostOf(config.mail.url)}` });
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '?';
  }
}

/** 基本方針 / 取扱規程 summary / hosting text maintained by the director; not available until first saved. */
export async function safeguardTexts(db: Kysely<Database>): Promise<Facts<SafeguardTexts>> {
  const r = await db.selectFrom('office_safeguards').selectAll().where('id', '=', 'office').executeTakeFirst();
  if (!r) return NOT_AVAILABLE;
  return { available: true, value: { policy: r.basic_policy, rules: r.handling_rules, hosting: r.hosting, updatedAt: r.updated_at } };
}

/** The configured 再委託先, each with the date this client approved it (番号法10条 許諾), or null. */
export async function subcontractApprovals(db: Kysely<Database>, config: Pick<Config, 'database' | 'storage' | 'mail'>, companyId: string): Promise<ApprovedSubcontractor[]> {
  const rows = await db.selectFrom('subcontract_approvals').select(['what', 'provider', 'approved_on']).where('company_id', '=', companyId).execute();
  return subcontractors(config).map((s) => {
    const r = rows.find((x) => x.what === s.what);
    if (!r) return { ...s, approvedOn: null, approvedFor: null };
    return r.provider === s.where ? { ...s, approvedOn: r.approved_on, approvedFor: null } : { ...s, approvedOn: null, approvedFor: r.provider };
  });
}

/** Every company's 許諾 rows at once (the director's page). */
export async function allApprovals(db: Kysely<Database>) {
  return db.selectFrom('subcontract_approvals').select(['company_id', 'what', 'provider', 'approved_on']).execute();
}
