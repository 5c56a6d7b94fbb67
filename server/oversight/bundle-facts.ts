import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ScopePerson } from './scope-repo.js';

/**
 * What the oversight reports know about sealed bundles (issue 15) and
 * disposal certificates (issue 14). Neither feature's tables are on this
 * branch yet, so each question is answered here, in one small function, as
 * "not available" — the pages and exports then say 「該当なし（この機能は未導入）」
 * instead of a misleading zero. Wiring a feature in = answering here.
 */
export type Facts<T> = { available: false } | { available: true; value: T };

export const NOT_AVAILABLE = { available: false } as const;

/** People in bundles downloaded, by an account in a window, of a company, or of one bundle (sealed state). */
export async function bundleDownloads(
  _db: Kysely<Database>,
  _f: { accountId?: string; companyId?: string; bundleId?: string; from?: string; to?: string },
): Promise<Facts<ScopePerson[]>> {
  return NOT_AVAILABLE;
}

/** Bundles issued and downloaded for a company in a period (custody report). */
export async function bundleCounts(_db: Kysely<Database>, _f: { companyId: string; from: string; to: string }): Promise<Facts<{ issued: number; downloaded: number }>> {
  return NOT_AVAILABLE;
}

/** Disposal certificates issued for a company in a period (custody report). */
export async function disposalCertificates(_db: Kysely<Database>, _f: { companyId: string; from: string; to: string }): Promise<Facts<Array<{ id: string; issuedAt: string }>>> {
  return NOT_AVAILABLE;
}
