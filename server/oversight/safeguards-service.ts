import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { isIsoDate, japanToday } from '../retention/calendar.js';
import { allApprovals, safeguardTexts, SUBCONTRACT_KINDS, subcontractors, type SafeguardTexts, type SubcontractKind } from './safeguards.js';

/**
 * The director keeps the office's safeguards (基本方針, 取扱規程 summary,
 * where data is hosted) and, per client, the day the client approved each
 * 再委託先 (番号法10条 許諾). Each change is one audit entry in the same
 * transaction — what changed, never the texts themselves (they are on the
 * page and in every custody report). The 事務取扱担当者 count is not typed:
 * kinko knows it (the active key holders, custody-repo.ts `handlers`).
 */
export interface SafeguardsPage {
  texts: SafeguardTexts | null;
  subcontractors: ReturnType<typeof subcontractors>;
  companies: Array<{ id: string; name: string; approvals: Record<SubcontractKind, { on: string | null; otherProvider: string | null }> }>;
}

export async function safeguardsPage(deps: Deps): Promise<SafeguardsPage> {
  const texts = await safeguardTexts(deps.db);
  const subs = subcontractors(deps.config);
  const rows = await allApprovals(deps.db);
  const companies = await deps.db.selectFrom('companies').select(['id', 'name']).orderBy('name').execute();
  return {
    texts: texts.available ? texts.value : null,
    subcontractors: subs,
    companies: companies.map((c) => ({
      ...c,
      approvals: Object.fromEntries(
        subs.map((s) => {
          const r = rows.find((x) => x.company_id === c.id && x.what === s.what);
          return [s.what, { on: r && r.provider === s.where ? r.approved_on : null, otherProvider: r && r.provider !== s.where ? r.provider : null }];
        }),
      ) as SafeguardsPage['companies'][number]['approvals'],
    })),
  };
}

export async function saveSafeguards(deps: Deps, acting: Acting, v: { policy: string; rules: string; hosting: string }): Promise<void> {
  const at = deps.clock.now().toISOString();
  const row = { basic_policy: v.policy, handling_rules: v.rules, hosting: v.hosting, updated_by: acting.userId ?? '', updated_at: at };
  await deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('office_safeguards').selectAll().where('id', '=', 'office').executeTakeFirst();
    await trx.insertInto('office_safeguards').values({ id: 'office', ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
    const was = { policy: before?.basic_policy, rules: before?.handling_rules, hosting: before?.hosting };
    const changed = (['policy', 'rules', 'hosting'] as const).filter((k) => was[k] !== v[k]);
    await record(trx, acting, { action: 'oversight.safeguards.update', targetIds: ['office'], result: 'ok', details: { changed: changed.join(' ') || 'none', first: !before } });
  });
}

/**
 * One client's 許諾 dates, as the form sent them: a date records the 許諾 for
 * the provider configured now; an empty field withdraws it. A date in the
 * future, or not a real day, is refused.
 */
export async function setApprovals(deps: Deps, acting: Acting, companyId: string, dates: Record<SubcontractKind, string>): Promise<void> {
  const company = await deps.db.selectFrom('companies').select('id').where('id', '=', companyId).executeTakeFirst();
  if (!company) throw new BadRequest('oversight.safeguards.errors.company');
  const today = japanToday(deps.clock.now());
  for (const k of SUBCONTRACT_KINDS) {
    const d = dates[k];
    if (!d) continue;
    if (!isIsoDate(d)) throw new BadRequest('oversight.safeguards.errors.date');
    if (d > today) throw new BadRequest('oversight.safeguards.errors.future');
  }
  const subs = subcontractors(deps.config);
  const at = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('subcontract_approvals').selectAll().where('company_id', '=', companyId).execute();
    const changes: Record<string, string> = {};
    for (const s of subs) {
      const d = dates[s.what];
      const had = before.find((b) => b.what === s.what);
      if (!d) {
        if (!had) continue;
        await trx.deleteFrom('subcontract_approvals').where('company_id', '=', companyId).where('what', '=', s.what).execute();
        changes[s.what] = `withdrawn (${had.provider})`;
        continue;
      }
      if (had && had.provider === s.where && had.approved_on === d) continue;
      const row = { provider: s.where, approved_on: d, recorded_by: acting.userId ?? '', recorded_at: at };
      await trx.insertInto('subcontract_approvals').values({ company_id: companyId, what: s.what, ...row }).onConflict((oc) => oc.columns(['company_id', 'what']).doUpdateSet(row)).execute();
      changes[s.what] = `${d} (${s.where})`;
    }
    if (Object.keys(changes).length === 0) return;
    await record(trx, acting, { action: 'oversight.subcontract.approval', companyId, targetIds: [companyId], result: 'ok', details: changes });
  });
}
