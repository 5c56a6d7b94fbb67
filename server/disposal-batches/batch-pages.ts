import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { retentionSummary } from '../retention/basis-text.js';
import { BATCH_REASONS } from './batch.js';
import { japanToday } from '../retention/calendar.js';
import { retentionOfCompany } from '../retention/repo.js';

/**
 * What the disposal pages show (issue 14 §5–7), without req/res: the people
 * of a company that may be disposed of now, a batch with its progress and
 * certificates, the office's list of everything destroyed (drops at ingest
 * beside person batches), and the room's certificates. Names only where the
 * page is the office's or the client's own; never a number.
 */
type Lang = 'ja' | 'en';

export async function companyDisposalPage(deps: Pick<Deps, 'db' | 'clock'>, companyId: string, lang: Lang) {
  const company = await deps.db.selectFrom('companies').select(['id', 'name']).where('id', '=', companyId).executeTakeFirst();
  if (!company) throw new NotFound();
  const today = japanToday(deps.clock.now());
  const persons = await retentionOfCompany(deps.db, companyId);
  const due = persons.filter((p) => p.retention.state === 'scheduled' && !p.retention.hold && p.retention.from <= today);
  const onHold = persons.filter((p) => p.retention.state === 'scheduled' && p.retention.hold && p.retention.from <= today);
  const batches = await deps.db.selectFrom('disposal_batches').select(['id', 'state', 'approved_at', 'done_at', 'method']).where('company_id', '=', companyId).orderBy('approved_at', 'desc').execute();
  return {
    company,
    today,
    reasons: BATCH_REASONS,
    due: due.map((p) => ({ personId: p.personId, name: p.name, relation: p.relation, employeeCode: p.employeeCode, summary: retentionSummary(p.retention, lang) })),
    onHold: onHold.map((p) => ({ personId: p.personId, name: p.name, relation: p.relation })),
    batches,
  };
}

export async function batchPage(deps: Pick<Deps, 'db'>, batchId: string) {
  const batch = await deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', batchId).executeTakeFirst();
  if (!batch) throw new NotFound();
  const company = await deps.db.selectFrom('companies').select(['id', 'name']).where('id', '=', batch.company_id).executeTakeFirstOrThrow();
  const persons = await deps.db
    .selectFrom('disposal_batch_persons as b')
    .innerJoin('persons as p', 'p.id', 'b.person_id')
    .select(['p.id', 'p.name', 'p.relation', 'p.state'])
    .where('b.batch_id', '=', batchId)
    .orderBy('p.name')
    .execute();
  const certificates = await deps.db.selectFrom('disposal_certificates').select(['id', 'copy', 'issued_at']).where('batch_id', '=', batchId).orderBy('copy').execute();
  const names = async (id: string | null) => (id ? ((await deps.db.selectFrom('users').select('display_name').where('id', '=', id).executeTakeFirst())?.display_name ?? '') : '');
  return { batch, company, persons, certificates, approver: await names(batch.approved_by), confirmer: await names(batch.confirmed_by) };
}

/** Every disposal kinko recorded — drops destroyed after their ingest and person batches — newest first, with the certificates. */
export async function disposalsList(deps: Pick<Deps, 'db'>) {
  const rows = await deps.db
    .selectFrom('disposals as d')
    .innerJoin('companies as c', 'c.id', 'd.company_id')
    .select(['d.id', 'd.subject_kind', 'd.subject_id', 'd.reason', 'd.method', 'd.verification', 'd.verified_at', 'c.name as company'])
    .orderBy('d.verified_at', 'desc')
    .limit(500)
    .execute();
  const batches = await deps.db.selectFrom('disposal_batches').select(['id', 'method']).where('state', '=', 'done').execute();
  const methodOf = new Map(batches.map((b) => [b.id, b.method]));
  const counts = await deps.db.selectFrom('disposal_objects').select(['disposal_id', deps.db.fn.countAll<number>().as('n')]).groupBy('disposal_id').execute();
  const countOf = new Map(counts.map((c) => [c.disposal_id, Number(c.n)]));
  const certs = await deps.db.selectFrom('disposal_certificates').select(['id', 'batch_id', 'copy']).execute();
  return rows.map((r) => ({
    ...r,
    objects: countOf.get(r.id) ?? 0,
    batchMethod: r.subject_kind === 'cohort' ? (methodOf.get(r.subject_id) ?? null) : null,
    certificates: certs.filter((c) => c.batch_id === r.subject_id),
  }));
}

export async function roomCertificates(deps: Pick<Deps, 'db'>, companyId: string) {
  return deps.db
    .selectFrom('disposal_certificates as c')
    .innerJoin('disposal_batches as b', 'b.id', 'c.batch_id')
    .select(['c.id', 'c.issued_at', 'b.id as batch_id', 'b.method'])
    .where('c.company_id', '=', companyId)
    .where('c.copy', '=', 'client')
    .orderBy('c.issued_at', 'desc')
    .execute();
}

/** One certificate's bytes, for a company (room: client copy only) or for the office (either copy). */
export async function certificateFile(deps: Pick<Deps, 'db'>, id: string, scope: { companyId: string } | 'office') {
  let q = deps.db.selectFrom('disposal_certificates').select(['id', 'pdf_base64', 'signature', 'copy']).where('id', '=', id);
  if (scope !== 'office') q = q.where('company_id', '=', scope.companyId).where('copy', '=', 'client');
  const c = await q.executeTakeFirst();
  if (!c) throw new NotFound();
  return { pdf: Buffer.from(c.pdf_base64, 'base64'), signature: c.signature, name: `kinko-disposal-certificate-${c.id}-${c.copy}.pdf` };
}
