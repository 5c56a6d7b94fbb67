import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../http/errors.js';
import { readOfficePublicKey, unlockOfficeKey } from '../keys/office-key.js';
import { randomId } from '../lib/random.js';
import { signDetached } from '../retention/certificate-sign.js';
import { custodyCsv } from './custody-csv.js';
import { custodyPdf } from './custody-pdf.js';
import { custodyReport } from './custody-report.js';

/**
 * Issuing a client's custody report (retention-and-breach.md §6.3: "number-
 * free and signed with the office key"): a key holder unlocks the office
 * key with their passphrase, kinko builds the PDF and the CSV for the
 * period and signs each with a detached OpenPGP signature — the same
 * signing the disposal certificates use (retention/certificate-sign.ts) —
 * so the client checks it with `gpg --verify` or `kinko certificate:verify`
 * against /office-key.asc. The office key is needed because only its
 * holders can sign; the report is stored and the client downloads it from
 * the room whenever it likes. One audit entry per issue, in the same
 * transaction as the row.
 */
export async function issueCustodyReport(deps: Deps, acting: Acting, opts: { companyId: string; passphrase: string; fromAt: string; toAt: string }): Promise<string> {
  const company = await deps.db.selectFrom('companies').select('id').where('id', '=', opts.companyId).executeTakeFirst();
  if (!company) throw new NotFound();
  const officeKey = await unlockOfficeKey(deps, acting.userId ?? '', opts.passphrase, { form: 'other', requestId: acting.requestId ?? undefined });
  const pub = await readOfficePublicKey(deps.db);
  const id = randomId(12);
  const base = await custodyReport(deps, opts.companyId, { from: new Date(opts.fromAt), to: new Date(opts.toAt) });
  const report = { ...base, issue: { id, fingerprint: (pub?.getFingerprint() ?? officeKey.getFingerprint()).toUpperCase() } };
  const pdf = await custodyPdf(report);
  const csv = custodyCsv(report);
  const row = {
    id,
    company_id: opts.companyId,
    period_from: report.from,
    period_to: report.to,
    pdf_base64: pdf.toString('base64'),
    pdf_signature: await signDetached(pdf, officeKey),
    csv_text: csv,
    csv_signature: await signDetached(Buffer.from(csv, 'utf8'), officeKey),
    issued_by: acting.userId ?? '',
    issued_at: report.generatedAt,
  };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('custody_reports').values(row).execute();
    await record(trx, acting, { action: 'oversight.custody.issue', companyId: opts.companyId, targetIds: [id], result: 'ok', details: { from: report.from, to: report.to, people: report.personsTotal } });
  });
  return id;
}

/** The reports issued for a company, newest first (ids and periods only). */
export async function issuedReports(deps: Pick<Deps, 'db'>, companyId: string) {
  return deps.db.selectFrom('custody_reports').select(['id', 'period_from', 'period_to', 'issued_at']).where('company_id', '=', companyId).orderBy('issued_at', 'desc').execute();
}

const FILES = ['report.pdf', 'report.pdf.asc', 'report.csv', 'report.csv.asc'] as const;
export type CustodyFile = (typeof FILES)[number];

/** One file of an issued report, for its company (the room) or for the office. Anything else answers 404, like a random id. */
export async function issuedFile(deps: Pick<Deps, 'db'>, id: string, file: string, scope: { companyId: string } | 'office') {
  const f = FILES.find((x) => x === file);
  if (!f) throw new NotFound();
  let q = deps.db.selectFrom('custody_reports').selectAll().where('id', '=', id);
  if (scope !== 'office') q = q.where('company_id', '=', scope.companyId);
  const r = await q.executeTakeFirst();
  if (!r) throw new NotFound();
  const name = `kinko-custody-report-${r.id}`;
  switch (f) {
    case 'report.pdf':
      return { type: 'application/pdf', name: `${name}.pdf`, body: Buffer.from(r.pdf_base64, 'base64') };
    case 'report.pdf.asc':
      return { type: 'application/pgp-signature', name: `${name}.pdf.asc`, body: Buffer.from(r.pdf_signature, 'utf8') };
    case 'report.csv':
      return { type: 'text/csv; charset=utf-8', name: `${name}.csv`, body: Buffer.from(r.csv_text, 'utf8') };
    case 'report.csv.asc':
      return { type: 'application/pgp-signature', name: `${name}.csv.asc`, body: Buffer.from(r.csv_signature, 'utf8') };
  }
}
