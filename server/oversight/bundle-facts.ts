import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { IN_CHUNK, type ScopePerson } from './scope-repo.js';

/**
 * What the oversight reports know about sealed bundles (issue 15) and
 * disposal certificates (issue 14), one question per function. `Facts`
 * keeps the shape in which a feature not yet present answered "not
 * available" (「該当なし（この機能は未導入）」) rather than a misleading zero;
 * these three are answered from their tables now.
 */
export type Facts<T> = { available: false } | { available: true; value: T };

export const NOT_AVAILABLE = { available: false } as const;

/**
 * People in bundles that were downloaded (room, office or in-browser open),
 * by an account and/or in a window, of a company, or of one bundle. What a
 * download gave out is sealed: the tally counts them in that state.
 */
export async function bundleDownloads(
  db: Kysely<Database>,
  f: { accountId?: string; companyId?: string; bundleId?: string; from?: string; to?: string },
): Promise<Facts<ScopePerson[]>> {
  let q = db.selectFrom('bundle_downloads').select('bundle_id').distinct();
  if (f.accountId) q = q.where('user_id', '=', f.accountId);
  if (f.companyId) q = q.where('company_id', '=', f.companyId);
  if (f.bundleId) q = q.where('bundle_id', '=', f.bundleId);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  const bundles = (await q.execute()).map((r) => r.bundle_id);
  const out = new Map<string, ScopePerson>();
  for (let i = 0; i < bundles.length; i += IN_CHUNK) {
    const rows = await db
      .selectFrom('bundle_persons as bp')
      .innerJoin('persons as p', 'p.id', 'bp.person_id')
      .select(['p.id', 'p.company_id', 'p.number_index', 'p.relation'])
      .where('bp.bundle_id', 'in', bundles.slice(i, i + IN_CHUNK))
      .execute();
    for (const r of rows) out.set(r.id, r);
  }
  return { available: true, value: [...out.values()] };
}

/** Bundles built for a company in a period, and how many of them were downloaded in it (custody report). */
export async function bundleCounts(db: Kysely<Database>, f: { companyId: string; from: string; to: string }): Promise<Facts<{ issued: number; downloaded: number }>> {
  const issued = await db.selectFrom('bundles').select((eb) => eb.fn.countAll<number>().as('n')).where('company_id', '=', f.companyId).where('created_at', '>=', f.from).where('created_at', '<', f.to).executeTakeFirstOrThrow();
  const downloaded = await db
    .selectFrom('bundle_downloads')
    .select((eb) => eb.fn.count<number>('bundle_id').distinct().as('n'))
    .where('company_id', '=', f.companyId)
    .where('at', '>=', f.from)
    .where('at', '<', f.to)
    .executeTakeFirstOrThrow();
  return { available: true, value: { issued: Number(issued.n), downloaded: Number(downloaded.n) } };
}

/** Disposal certificates issued for a company in a period (custody report): the client's copies, one per batch. */
export async function disposalCertificates(db: Kysely<Database>, f: { companyId: string; from: string; to: string }): Promise<Facts<Array<{ id: string; issuedAt: string }>>> {
  const rows = await db
    .selectFrom('disposal_certificates')
    .select(['id', 'issued_at'])
    .where('company_id', '=', f.companyId)
    .where('copy', '=', 'client')
    .where('issued_at', '>=', f.from)
    .where('issued_at', '<', f.to)
    .orderBy('issued_at')
    .execute();
  return { available: true, value: rows.map((r) => ({ id: r.id, issuedAt: r.issued_at })) };
}
