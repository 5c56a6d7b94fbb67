import { Router, type Request, type Response } from 'express';
import { AppError } from '../lib/app-error.js';
import { NotFound } from '../http/errors.js';
import { requireOwnRoom } from '../auth/room-access.js';
import { signedInActing } from '../auth/request-acting.js';
import type { Deps } from '../deps.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { formatJst } from '../lib/jst.js';
import { issueCustodyReport, issuedFile, issuedReports } from './custody-issue.js';
import { ledgerPeriod, ledgerSchema } from './ledger-schema.js';
import { issueSchema } from './custody-issue-schema.js';
import { company } from './custody-repo.js';
import { tallyView } from './custody-tally.js';

/**
 * Signed custody reports: a key holder issues one for a company and period
 * on the company's 取扱状況の報告 page; the client lists and downloads them
 * (PDF, CSV, and each one's detached signature) in its room. Another
 * company's report answers 404 exactly like a random id. A refusal a person
 * can act on (wrong passphrase, not a key holder, a period backwards) is the
 * page again with its message.
 */
const shown = (err: unknown): err is AppError => err instanceof AppError && [400, 403, 409].includes(err.status) && /^(keys|oversight)\./.test(err.messageKey);

export function custodyIssueRoutes(deps: Deps): Router {
  const r = Router();
  const cid = (req: Request) => String(req.params['companyId'] ?? '');
  const lang = (res: Response) => (res.locals.lang === 'en' ? 'en' : 'ja');
  const listed = async (companyId: string, res: Response) =>
    (await issuedReports(deps, companyId)).map((x) => ({ ...x, from: formatJst(x.period_from, lang(res)), to: formatJst(x.period_to, lang(res)), at: formatJst(x.issued_at, lang(res)) }));

  const NO_PERIOD = { from: '', to: '' };
  /** The tally section: the period asked in the query (or refused, with the key of why), else the default. */
  const tally = (res: Response, page: string, base: string, q: { from: string; to: string } = NO_PERIOD, refused?: string) => {
    const view = tallyView(deps.clock.now(), page, base, q, res.locals.t as never, refused);
    if (view.error) res.status(400);
    return view;
  };
  // A malformed date in the tally's query: the page again, with the message (not the error page).
  const tallyQuery = (page: (req: Request, res: Response, refused: string) => Promise<void>) =>
    validate(ledgerSchema, { form: (req, res, f) => page(req, res, Object.values(f.errors)[0] ?? 'errors.badRequest') });

  async function officePage(req: Request, res: Response, err?: AppError, values: Record<string, string> = {}, period?: { q?: { from: string; to: string }; refused?: string }) {
    const c = await company(deps.db, cid(req));
    if (!c) throw new NotFound();
    const base = `/office/companies/${encodeURIComponent(c.id)}`;
    const tallied = tally(res, `${base}/custody-reports`, base, period?.q, period?.refused);
    if (err) res.status(err.status);
    res.set('Cache-Control', 'no-store').render('office/company-custody', {
      title: res.locals.t('oversight.custody.title', { company: c.name }),
      company: c,
      reports: await listed(c.id, res),
      keyHolder: res.locals.actor?.keyHolder === true,
      values,
      done: req.query['done'] === 'issued' ? res.locals.t('oversight.custody.issued') : null,
      message: err ? res.locals.t(err.messageKey, err.params) : null,
      tally: tallied,
    });
  }

  r.get(
    '/office/companies/:companyId/custody-reports',
    policy({ audience: 'staff', note: 'a client’s custody reports: issue a signed one, download any; the unsigned tally for a chosen period' }),
    tallyQuery((req, res, refused) => officePage(req, res, undefined, {}, { refused })),
    async (req, res) => {
      await officePage(req, res, undefined, {}, { q: input(res, ledgerSchema).query });
    },
  );

  const form = validate(issueSchema, { form: (req, res, f) => officePage(req, res, new AppError(400, Object.values(f.errors)[0] ?? 'errors.badRequest'), f.values) });
  r.post('/office/companies/:companyId/custody-reports', policy({ audience: 'staff', note: 'issue a custody report signed with the office key (key passphrase; recorded)' }), form, async (req, res) => {
    const { passphrase, from, to } = input(res, issueSchema).body;
    try {
      const period = ledgerPeriod(deps.clock.now(), { from, to });
      await issueCustodyReport(deps, signedInActing(deps, req, res), { companyId: cid(req), passphrase, fromAt: period.fromAt, toAt: period.toAt });
    } catch (err) {
      if (!shown(err)) throw err;
      return officePage(req, res, err, { from, to });
    }
    res.redirect(303, `/office/companies/${encodeURIComponent(cid(req))}/custody-reports?done=issued`);
  });

  r.get('/office/custody-reports/:reportId/:file', policy({ audience: 'staff', note: 'an issued custody report (PDF or CSV) or its signature' }), async (req, res) => {
    send(res, await issuedFile(deps, String(req.params['reportId']), String(req.params['file']), 'office'));
  });

  async function roomPage(req: Request, res: Response, period: { q?: { from: string; to: string }; refused?: string }) {
    const { room } = await requireOwnRoom(deps, req.params['key'], res);
    const base = `/room/${room.key}`;
    const tallied = tally(res, `${base}/custody-reports`, base, period.q, period.refused);
    res.set('Cache-Control', 'no-store').render('room/custody-reports', { room: { id: room.id, name: room.name }, base, reports: await listed(room.id, res), tally: tallied });
  }
  r.get(
    '/room/:key/custody-reports',
    policy({ audience: 'client', tenant: true, note: "the client's signed custody reports and the tally for a chosen period" }),
    tallyQuery((req, res, refused) => roomPage(req, res, { refused })),
    async (req, res) => {
      await roomPage(req, res, { q: input(res, ledgerSchema).query });
    },
  );

  r.get('/room/:key/custody-reports/:reportId/:file', policy({ audience: 'client', tenant: true, note: 'download an issued custody report (PDF or CSV) or its signature' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params['key'], res);
    send(res, await issuedFile(deps, String(req.params['reportId']), String(req.params['file']), { companyId: room.id }));
  });

  return r;
}

function send(res: Response, f: { type: string; name: string; body: Buffer }): void {
  res.set({ 'Content-Type': f.type, 'Content-Disposition': `attachment; filename="${f.name}"`, 'Cache-Control': 'no-store' }).send(f.body);
}
