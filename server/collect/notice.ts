import type { Deps } from '../deps.js';
import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { NotFound } from '../http/errors.js';
import * as repo from './repo.js';

/**
 * The 利用目的 notice an employee reads before entering anything. The office
 * writes it per company; every save is a new version, so an acknowledgement
 * (request row: version + time) points at the exact words that were shown.
 * Until the office writes one, version 0 is kinko's standard text
 * (i18n `collect.notice.standard`), shown as such on the office page.
 */
export interface Notice {
  version: number;
  /** null: the standard text (version 0), rendered from the locale. */
  body: string | null;
  writtenAt: string | null;
}

export async function currentNotice(deps: Deps, companyId: string): Promise<Notice> {
  const row = await repo.latestNotice(deps.db, companyId);
  return row ? { version: row.version, body: row.body, writtenAt: row.created_at } : { version: 0, body: null, writtenAt: null };
}

export async function saveNotice(deps: Deps, acting: Acting, input: { companyId: string; body: string }): Promise<number> {
  const company = await deps.db.selectFrom('companies').select('id').where('id', '=', input.companyId).executeTakeFirst();
  if (!company) throw new NotFound();
  return deps.db.transaction().execute(async (trx) => {
    const latest = await repo.latestNotice(trx, input.companyId);
    const version = (latest?.version ?? 0) + 1;
    await repo.insertNotice(trx, { company_id: input.companyId, version, body: input.body, written_by: acting.userId ?? '', created_at: deps.clock.now().toISOString() });
    await record(trx, acting, { action: 'collect.notice-saved', companyId: input.companyId, details: { version, chars: [...input.body].length } });
    return version;
  });
}
