import { Router, type Response } from 'express';
import { requireOwnRoom } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { custodyCsv } from './custody-csv.js';
import { custodyPdf } from './custody-pdf.js';
import { custodyReport } from './custody-report.js';

/**
 * The current tally of the custody report as CSV and PDF for the past 12
 * months, unsigned: the client from its room (its own company only; another
 * company's room key answers 404 like any wrong key), the office per
 * company. Counts only, no number or name. The signed report for a chosen
 * period is issued by a key holder: custody-issue-routes.ts.
 */
export function custodyRoutes(deps: Deps): Router {
  const r = Router();

  r.get('/room/:key/custody-report.csv', policy({ audience: 'client', tenant: true, note: "the client's custody report (counts only) as CSV" }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    send(res, custodyCsv(await custodyReport(deps, room.id)));
  });

  r.get('/office/companies/:companyId/custody-report.csv', policy({ audience: 'staff', note: "a client's custody report (counts only) as CSV" }), async (req, res) => {
    send(res, custodyCsv(await custodyReport(deps, String(req.params.companyId))));
  });

  r.get('/room/:key/custody-report.pdf', policy({ audience: 'client', tenant: true, note: "the client's custody report (counts only) as PDF" }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    sendPdf(res, await custodyPdf(await custodyReport(deps, room.id)));
  });

  r.get('/office/companies/:companyId/custody-report.pdf', policy({ audience: 'staff', note: "a client's custody report (counts only) as PDF" }), async (req, res) => {
    sendPdf(res, await custodyPdf(await custodyReport(deps, String(req.params.companyId))));
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
