import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { bundleCounts, disposalCertificates, type Facts } from './bundle-facts.js';
import { relationClass, type RelationClass } from './exposure.js';
import * as repo from './custody-repo.js';
import { safeguardTexts, subcontractApprovals, type ApprovedSubcontractor, type SafeguardTexts } from './safeguards.js';

/**
 * One client's custody report for a period (issue 16 §1): what the office
 * holds for it and what it did with it, as counts. Uses of numbers are by
 * purpose and by the staff member's role, never by name. No number, no
 * person's name, no file name (a drop's name often holds names).
 */
export interface CustodyReport {
  company: { id: string; name: string };
  from: string;
  to: string;
  generatedAt: string;
  persons: Array<{ relation: RelationClass; state: string; count: number }>;
  personsTotal: number;
  drops: { received: number; ingested: number; destroyed: number };
  disposals: Array<{ id: string; kind: string; reason: string; method: string; verification: string; verifiedAt: string; objects: number }>;
  uses: Array<{ purpose: string; role: string; reveals: number; bulkReads: number }>;
  room: { logins: number; failed: number };
  /** Active office accounts by role, and the 事務取扱担当者: those of them who hold the office key (can see numbers). */
  handlers: { director: number; staff: number; keyHolders: number };
  /** Each configured 再委託先 with this client's 許諾 date, or null = 未許諾. */
  subcontractors: ApprovedSubcontractor[];
  safeguards: Facts<SafeguardTexts>;
  bundles: Facts<{ issued: number; downloaded: number }>;
  certificates: Facts<Array<{ id: string; issuedAt: string }>>;
  /** Set on a report the office issues and signs (custody-issue.ts): its id and the signing office key. */
  issue?: { id: string; fingerprint: string };
}

export const DEFAULT_PERIOD_DAYS = 365;

export async function custodyReport(deps: Deps, companyId: string, period?: { from: Date; to: Date }): Promise<CustodyReport> {
  const company = await repo.company(deps.db, companyId);
  if (!company) throw new NotFound();
  const now = deps.clock.now();
  const to = (period?.to ?? now).toISOString();
  const from = (period?.from ?? new Date(now.getTime() - DEFAULT_PERIOD_DAYS * 86_400_000)).toISOString();
  const p = { companyId, from, to };

  const persons = new Map<string, { relation: RelationClass; state: string; count: number }>();
  for (const r of await repo.personsByRelationAndState(deps.db, companyId)) {
    const relation = relationClass(r.relation);
    const k = `${relation}/${r.state}`;
    const had = persons.get(k) ?? { relation, state: String(r.state), count: 0 };
    had.count += Number(r.n);
    persons.set(k, had);
  }
  const uses = new Map<string, { purpose: string; role: string; reveals: number; bulkReads: number }>();
  for (const r of await repo.auditCounts(deps.db, p, ['vault.reveal', 'vault.read.bulk'])) {
    const k = `${r.purpose}/${r.actor_role}`;
    const u = uses.get(k) ?? { purpose: r.purpose ?? '', role: r.actor_role ?? '', reveals: 0, bulkReads: 0 };
    if (r.action === 'vault.reveal') u.reveals += Number(r.n);
    else u.bulkReads += Number(r.n);
    uses.set(k, u);
  }
  const sum = (rows: Array<{ n: number }>) => rows.reduce((a, r) => a + Number(r.n), 0);
  const disposals = await repo.disposalsIn(deps.db, p);
  const roles = await repo.handlers(deps.db);
  return {
    company,
    from,
    to,
    generatedAt: now.toISOString(),
    persons: [...persons.values()].sort((a, b) => a.relation.localeCompare(b.relation) || a.state.localeCompare(b.state)),
    personsTotal: [...persons.values()].reduce((a, r) => a + r.count, 0),
    drops: {
      received: await repo.dropsReceived(deps.db, p),
      ingested: sum(await repo.auditCounts(deps.db, p, ['ingest.commit'])),
      // Kept identity images are disposed as a 'drop' subject too (they live in the drops location); they are not a drop.
      destroyed: disposals.filter((d) => d.subject_kind === 'drop' && !d.reason.startsWith('collect-images')).length,
    },
    disposals: disposals.map((d) => ({ id: d.id, kind: d.subject_kind, reason: d.reason, method: d.method, verification: d.verification, verifiedAt: d.verified_at, objects: Number(d.objects ?? 0) })),
    uses: [...uses.values()].sort((a, b) => a.purpose.localeCompare(b.purpose) || a.role.localeCompare(b.role)),
    room: { logins: sum(await repo.auditCounts(deps.db, p, ['login.success'])), failed: sum(await repo.auditCounts(deps.db, p, ['login.failure', 'login.totp_replay'], 'denied')) },
    handlers: {
      director: roles.filter((r) => r.role === 'director').reduce((a, r) => a + Number(r.n), 0),
      staff: roles.filter((r) => r.role === 'staff').reduce((a, r) => a + Number(r.n), 0),
      keyHolders: roles.filter((r) => Number(r.key_holder) === 1).reduce((a, r) => a + Number(r.n), 0),
    },
    subcontractors: await subcontractApprovals(deps.db, deps.config, companyId),
    safeguards: await safeguardTexts(deps.db),
    bundles: await bundleCounts(deps.db, p),
    certificates: await disposalCertificates(deps.db, p),
  };
}
