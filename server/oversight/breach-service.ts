import { requestActing } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import type { Actor } from '../http/policies.js';
import { gatherScope } from './breach-scope.js';
import { countPeople, verdictFor, type Flags, type Verdict } from './breach-verdict.js';
import { DEFAULT_BREACH_RULES, jstDatePlus } from './deadline-rules.js';
import type { Exposure } from './exposure.js';
import type { Facts } from './bundle-facts.js';
import type { PersonEntry } from './people-tally.js';
import * as repo from './scope-repo.js';

/**
 * Breach scoping as the director runs it (issue 16 §3): check the exposure
 * names things that exist, count the people, judge the triggers for the
 * office and for each client (each 委託元 is a reporting party of its own),
 * and write one audit entry for the run — before anything is shown, so a
 * run that could not be recorded shows nothing.
 */
export interface BreachScope {
  exposure: Exposure;
  flags: Flags;
  discoveredOn: string;
  officeName: string | null;
  overall: Verdict;
  /** Whether identity images (本人確認書類の画像) from employee collection are in scope: the 速報 draft's 項目 line names them. */
  images: boolean;
  /** Each client's own: `images` says the same for that client's notice pack. */
  companies: Array<{ companyId: string; name: string; verdict: Verdict; images: boolean }>;
  evidence: Awaited<ReturnType<typeof gatherScope>>['evidence'];
  accountRole?: string;
  accountName?: string;
  /** The company scoped, when the exposure names one. */
  companyName?: string;
  bundles: Facts<number>;
  rules: typeof DEFAULT_BREACH_RULES;
}

export interface ScopeRequest {
  exposure: Exposure;
  flags: Flags;
  discoveredAt: Date;
}

export async function scopeBreach(deps: Deps, actor: Actor, requestId: string | null, req: ScopeRequest): Promise<BreachScope> {
  const { exposure: e } = req;
  const accountName = await checkExposure(deps, e);
  const g = await gatherScope(deps.db, e);
  const names = await repo.companyNames(deps.db);
  const rules = DEFAULT_BREACH_RULES;

  const perCompany = new Map<string, PersonEntry[]>();
  for (const p of g.tally.entries()) perCompany.set(p.companyId, [...(perCompany.get(p.companyId) ?? []), p]);
  for (const c of [...g.unreadDrops.keys(), ...g.unconfirmed.keys(), ...g.images.keys()]) if (!perCompany.has(c)) perCompany.set(c, []);
  const unknownOf = (companyId: string) => ({ drops: g.unreadDrops.get(companyId) ?? 0, submissions: g.unconfirmed.get(companyId)?.size ?? 0 });
  const unreadTotal = [...g.unreadDrops.values()].reduce((a, b) => a + b, 0);
  const unconfirmedTotal = [...g.unconfirmed.values()].reduce((a, b) => a + b.size, 0);
  const overall = verdictFor(countPeople(g.tally.entries()), { drops: unreadTotal, submissions: unconfirmedTotal }, req.flags, req.discoveredAt, rules);
  const companies = [...perCompany.entries()]
    .map(([companyId, people]) => ({
      companyId,
      name: names.get(companyId) ?? companyId,
      verdict: verdictFor(countPeople(people), unknownOf(companyId), req.flags, req.discoveredAt, rules),
      images: (g.images.get(companyId) ?? 0) > 0,
    }))
    .sort((a, b) => b.verdict.counts.people - a.verdict.counts.people || a.name.localeCompare(b.name, 'ja'));

  await deps.db.transaction().execute((trx) =>
    record(trx, requestActing(auditContext(deps), { userId: actor.userId, role: actor.role, requestId }), {
      action: 'oversight.breach.scope',
      companyId: e.kind === 'company' ? e.companyId : null,
      targetIds: subjectIds(e),
      purpose: '漏えい等の影響範囲の確認',
      result: 'ok',
      // Counts and the verdict only: never a person id, a name or a number.
      details: { kind: e.kind, people: overall.counts.people, notExempt: overall.notExempt, companies: companies.length, unreadDrops: unreadTotal, unconfirmedSubmissions: unconfirmedTotal, reportable: overall.reportable, fraud: req.flags.fraud, publicView: req.flags.publicView, ...windowOf(e) },
    }),
  );
  return {
    exposure: e, flags: req.flags, discoveredOn: jstDatePlus(req.discoveredAt, 0), officeName: await repo.officeName(deps.db),
    overall, images: g.images.size > 0, companies, evidence: g.evidence, accountRole: g.accountRole, accountName, bundles: g.bundles, rules,
    companyName: e.kind === 'company' ? names.get(e.companyId) : undefined,
  };
}

async function checkExposure(deps: Deps, e: Exposure): Promise<string | undefined> {
  if (e.kind === 'account' || e.kind === 'device') {
    if (e.to.getTime() <= e.from.getTime()) throw new BadRequest('oversight.errors.windowOrder');
    const account = await repo.findAccount(deps.db, e.accountId);
    if (!account) throw new BadRequest('oversight.errors.unknownAccount');
    return account.display_name;
  }
  if (e.kind === 'company' && !(await repo.companyNames(deps.db)).has(e.companyId)) throw new BadRequest('oversight.errors.unknownCompany');
  if (e.kind === 'backup' && !e.database && !e.vault && !e.drops) throw new BadRequest('oversight.errors.backupEmpty');
  if (e.kind === 'backup' && e.takenAt.getTime() > deps.clock.now().getTime()) throw new BadRequest('oversight.errors.backupFuture');
  return undefined;
}

function subjectIds(e: Exposure): string[] {
  switch (e.kind) {
    case 'account':
    case 'device':
      return [e.accountId];
    case 'company':
      return [e.companyId];
    case 'location':
      return [e.location];
    case 'backup':
      return [];
    case 'bundle':
      return [e.bundleId];
  }
}

function windowOf(e: Exposure): Record<string, string> {
  if (e.kind === 'account' || e.kind === 'device') return { from: e.from.toISOString(), to: e.to.toISOString() };
  if (e.kind === 'backup') return { takenAt: e.takenAt.toISOString() };
  return {};
}
