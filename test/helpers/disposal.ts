import type { Kysely } from 'kysely';
import type { Database } from '../../server/db/schema.js';

/**
 * The disposal record of a drop's original (disposals + its drops object,
 * migration 0015), flattened to the columns the ingest tests check; null
 * while the drop has none.
 */
export async function dropDisposalRow(db: Kysely<Database>, dropId: string) {
  const r = await db
    .selectFrom('disposals as x')
    .innerJoin('disposal_objects as o', 'o.disposal_id', 'x.id')
    .select(['x.subject_id as drop_id', 'x.company_id', 'o.sha256', 'o.size', 'x.method', 'o.backend', 'x.reason', 'x.verification', 'x.verified_at', 'x.by_user', 'o.object_key'])
    .where('x.subject_kind', '=', 'drop')
    .where('x.subject_id', '=', dropId)
    .where('o.location', '=', 'drops')
    .executeTakeFirst();
  return r ? { ...r, size: Number(r.size) } : null;
}
