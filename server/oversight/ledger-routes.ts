import { Router, type Response } from 'express';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { handlingLedger, writeLedgerCsv } from './ledger.js';
import { ledgerPeriod, ledgerSchema } from './ledger-schema.js';

/**
 * The handling ledger of a company (issue 16 §2), for staff and the
 * director: the page (summary and 台帳) and the CSV (台帳 then 記録, streamed).
 * GET: reading it changes nothing; it holds counts and office users' names,
 * no number and no held person's name.
 */
type T = (key: string, opts?: Record<string, unknown>) => string;

export function ledgerRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/office/companies/:companyId/ledger', policy({ audience: 'staff', note: "a company's 特定個人情報ファイル管理台帳 and the summary of its 取扱状況の記録" }), validate(ledgerSchema), async (req, res) => {
    const { query } = input(res, ledgerSchema);
    const period = ledgerPeriod(deps.clock.now(), query);
    const t = res.locals.t as T;
    const ledger = await handlingLedger(deps, String(req.params.companyId), period, t, res.locals.lang as string);
    res.set('Cache-Control', 'no-store');
    res.render('office/company-ledger', { title: t('oversight.ledger.pageTitle', { company: ledger.company.name }), ledger, csvHref: csvHref(ledger.company.id, period) });
  });

  r.get('/office/companies/:companyId/ledger.csv', policy({ audience: 'staff', note: "a company's 管理台帳 and 取扱状況の記録 as one streamed CSV" }), validate(ledgerSchema), async (req, res) => {
    const { query } = input(res, ledgerSchema);
    const period = ledgerPeriod(deps.clock.now(), query);
    const t = res.locals.t as T;
    const ledger = await handlingLedger(deps, String(req.params.companyId), period, t, res.locals.lang as string);
    sendCsvHeaders(res, `kinko-ledger-${ledger.company.id}-${period.fromDay}-${period.toDay}.csv`);
    await writeLedgerCsv(deps, res, ledger, t, res.locals.lang as string);
  });

  return r;
}

function csvHref(companyId: string, p: { fromDay: string; toDay: string }): string {
  return `/office/companies/${encodeURIComponent(companyId)}/ledger.csv?${new URLSearchParams({ from: p.fromDay, to: p.toDay }).toString()}`;
}

function sendCsvHeaders(res: Response, name: string): void {
  res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`, 'Cache-Control': 'no-store' });
}
