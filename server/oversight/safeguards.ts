import type { Config } from '../config.js';
import { NOT_AVAILABLE, type Facts } from './bundle-facts.js';

/**
 * The office's safeguards and its 再委託 as a custody report shows them
 * (retention-and-breach.md §6.1–6.2). The 再委託先 come from the running
 * configuration (where the database, the two storage locations and mail
 * are), naming hosts only — never a credential or a URL with a password.
 * The director-maintained texts (基本方針, 取扱規程 summary) and each client's
 * 許諾 date are not stored on this branch yet: they read through one function
 * each and show as not available until a table holds them.
 */
export interface Subcontractor {
  what: 'database' | 'storage' | 'mail';
  where: string;
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

/** 基本方針 / 取扱規程 summary / hosting text maintained by the director. */
export async function safeguardTexts(): Promise<Facts<{ policy: string; rules: string; hosting: string }>> {
  return NOT_AVAILABLE;
}

/** The date the client approved each 再委託先 (番号法10条 許諾). */
export async function subcontractApprovals(_companyId: string): Promise<Facts<Record<string, string>>> {
  return NOT_AVAILABLE;
}
