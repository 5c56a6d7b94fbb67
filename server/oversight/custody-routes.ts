import { Router, type Response } from 'express';
import { requireOwnRoom } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { custodyCsv } from './custody-csv.js';
import { custodyPdf } from './custody-pdf.js';
import { custodyReport } from './custody-report.js';
import { reportWindow } from './custody-tally.js';
import { ledgerPeriod, ledgerSchema } from './ledger-schema.js';

/**
 * The current tally of the custody report as CSV and PDF, unsigned, for the
 * period in the query (`from`, `to`: office days, read as the signed report
 * and the ledger read them, ledger-schema.ts; empty = the past 12 months):
 * the client from its room (its own company only; another company's room
 * key answers 404 like any wrong key), the office per company. Counts only,
 * no number or name. A refused period is the error page with its message.
 * The signed report is issued by a key holder: custody-issue-routes.ts.
 */
export function custodyRoutes(deps: Deps): Router {
  const r = Router();
  const period = (res: Response) => reportWindow(ledgerPeriod(deps.clock.now(), input(res, ledgerSchema).query));

  r.get('/room/:key/custody-report.csv', policy({ audience: 'client', tenant: true, note: "the client's custody report (counts only) as CSV" }), validate(ledgerSchema), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    send(res, custodyCsv(await custodyReport(deps, room.id, period(res))));
  });

  r.get('/office/companies/:companyId/custody-report.csv', policy({ audience: 'staff', note: "a client's custody report (counts only) as CSV" }), validate(ledgerSchema), async (req, res) => {
    send(res, custodyCsv(await custodyReport(deps, String(req.params.companyId), period(res))));
  });

  r.get('/room/:key/custody-report.pdf', policy({ audience: 'client', tenant: true, note: "the client's custody report (counts only) as PDF" }), validate(ledgerSchema), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    sendPdf(res, await custodyPdf(await custodyReport(deps, room.id, period(res))));
  });

  r.get('/office/companies/:companyId/custody-report.pdf', policy({ audience: 'staff', note: "a client's custody report (counts only) as PDF" }), validate(ledgerSchema), async (req, res) => {
    sendPdf(res, await custodyPdf(await custodyReport(deps, String(req.params.companyId), period(res))));
  });

  return r;
}

function sendPdf(res: Response, pdf: Buffer): void {
  res.set({ 'Content-Type': 'application/pdf', 'Content-Disposition': 'attachment; filename="kinko-custody-report.pdf"', 'Cache-Control': 'no-store' });
  res.send(pdf);
}

function send(res: Response, csv: string): void {
  res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="kinko-custody-report.csv"', 'Cache-Control': 'no-store' });
  res.send(csv);
}
