import { actorOf } from '../http/locals.js';
import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { policy, type Actor } from '../http/policies.js';
import { browseTrail, startExport, verifyTrail, type Browse } from './console.js';
import { writeAuditCsv } from './export-csv.js';
import { filterFields, jstFileStamp, parseFilter, type FilterForm } from './filter.js';
import { presentRow } from './present.js';
import type { VerifyResult } from './verify.js';

type T = (key: string, opts?: Record<string, unknown>) => string;

/** /office/audit — read, filter, export and verify the trail (director only). */
export function auditRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office/audit', policy({ audience: 'director', note: 'read and filter the audit trail' }), async (req, res) => {
    const { form, filter } = parseFilter(req.query);
    const before = seqParam(req.query.before);
    render(res, form, await browseTrail(deps, filter, before), before !== undefined);
  });

  // POST, not a link: an export copies the trail out of kinko, so it needs a
  // purpose and writes an audit entry — a state change that CSRF must guard.
  r.post('/office/audit.csv', policy({ audience: 'director', note: 'export the filtered trail as CSV (recorded with a purpose)' }), async (req, res) => {
    const body = bodyOf(req);
    const { filter } = parseFilter(body);
    const purpose = typeof body.purpose === 'string' ? body.purpose : '';
    const exp = await startExport(deps, actorOf(res), filter, purpose, res.locals.requestId);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="kinko-audit-${jstFileStamp(deps.clock.now())}.csv"`,
      'Cache-Control': 'no-store',
    });
    await writeAuditCsv(res, exp, res.locals.t as T);
  });

  r.post('/office/audit/verify', policy({ audience: 'director', note: 'check the audit chain now (recorded)' }), async (req, res) => {
    const { form, filter } = parseFilter(bodyOf(req));
    const verify = await verifyTrail(deps, actorOf(res), res.locals.requestId);
    render(res, form, await browseTrail(deps, filter), false, verify);
  });

  return r;
}

function render(res: Response, form: FilterForm, view: Browse, paged: boolean, verify?: VerifyResult): void {
  const t = res.locals.t as T;
  const keep = filterFields(form);
  const query = (extra: Array<[string, string]>) => new URLSearchParams([...keep, ...extra]).toString();
  res.render('office/audit', {
    title: t('audit.title'),
    form,
    keep,
    rows: view.rows.map((row) => presentRow(row, t)),
    companies: view.companies,
    actions: view.actions,
    olderHref: view.older === undefined ? undefined : `/office/audit?${query([['before', String(view.older)]])}`,
    newestHref: paged ? `/office/audit?${query([])}` : undefined,
    verify,
    verifyReason: verify?.problem ? t(`audit.reason.${verify.problem.reason}`) : undefined,
  });
}

function bodyOf(req: Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

function seqParam(v: unknown): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,14}$/.test(v)) throw new BadRequest('audit.badFilter');
  return Number(v);
}
