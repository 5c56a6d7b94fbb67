import { Router, type Request, type Response } from 'express';
import { actingFrom } from '../accounts/acting.js';
import { requireOwnRoom } from '../auth/room-access.js';
import type { Deps } from '../deps.js';
import { AppError } from '../lib/app-error.js';
import { actorOf } from '../http/locals.js';
import { NotFound } from '../http/errors.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { approveBatch, confirmBatch, finishBatch } from './batch.js';
import { batchPage, certificateFile, companyDisposalPage, disposalsList, roomCertificates } from './batch-pages.js';
import { approveBody, passphraseBody } from './schema.js';
import { resealWaiting } from './reseal.js';
import { schedulePage } from '../retention/pages.js';

/**
 * Disposal batches (issue 14 §5–7): the director approves on the company's
 * disposal page (fresh TOTP, reason, key passphrase); a second key holder
 * confirms on the batch page; the office lists everything destroyed with the
 * certificates; the client downloads its copies in the room. A refusal a
 * person can act on is the same page again with its message.
 */
const lang = (res: Response): 'ja' | 'en' => (res.locals.lang === 'en' ? 'en' : 'ja');
const acting = (res: Response) => actingFrom(actorOf(res), res.locals.requestId);
const id = (req: Request, name: string) => String((req.params as Record<string, string>)[name] ?? '');
/** Refusals shown on the page (a person's mistake or a state they can see); anything else goes to the error handler. */
const shown = (err: unknown): err is AppError => err instanceof AppError && [400, 403, 409, 503].includes(err.status) && /^(retention|keys|keyLocks|vault)\./.test(err.messageKey);

async function renderCompany(deps: Deps, req: Request, res: Response, err?: AppError) {
  const page = await companyDisposalPage(deps, id(req, 'companyId'), lang(res));
  if (err) res.status(err.status);
  res.render('office/company-disposal', { title: res.locals.t('retention.batch.companyTitle', { company: page.company.name }), ...page, message: err ? res.locals.t(err.messageKey, err.params) : null });
}

async function renderBatch(deps: Deps, req: Request, res: Response, err?: AppError) {
  const page = await batchPage(deps, id(req, 'batchId'));
  if (err) res.status(err.status);
  res.render('office/disposal-batch', { title: res.locals.t('retention.batch.title'), ...page, me: actorOf(res).userId, isDirector: actorOf(res).role === 'director', message: err ? res.locals.t(err.messageKey, err.params) : null });
}

/** Runs a batch action; a refusal is the batch (or company) page again with its message. */
async function act(res: Response, again: (err: AppError) => Promise<void>, fn: () => Promise<{ batchId: string }>) {
  try {
    const { batchId } = await fn();
    res.redirect(303, `/office/disposal-batches/${encodeURIComponent(batchId)}`);
  } catch (err) {
    if (!shown(err)) throw err;
    await again(err);
  }
}

export function batchRoutes(deps: Deps): Router {
  const r = Router();
  r.get('/office/companies/:companyId/disposal', policy({ audience: 'director', stepUp: true, note: 'people of a company whose numbers may be disposed of now; approve a batch' }), async (req, res) => {
    await renderCompany(deps, req, res);
  });

  r.post('/office/companies/:companyId/disposal-batches', policy({ audience: 'director', stepUp: true, note: 'approve a disposal batch (reason, key passphrase)' }), validate({ body: approveBody }), async (req, res) => {
    const body = input(res, { body: approveBody }).body;
    await act(res, (err) => renderCompany(deps, req, res, err), () => approveBatch(deps, acting(res), { companyId: id(req, 'companyId'), ...body }));
  });

  r.get('/office/disposal-batches/:batchId', policy({ audience: 'staff', note: 'a disposal batch: its people, progress and certificates' }), async (req, res) => {
    await renderBatch(deps, req, res);
  });

  r.post('/office/disposal-batches/:batchId/confirm', policy({ audience: 'staff', stepUp: true, note: "a second key holder confirms a disposal batch" }), validate({ body: passphraseBody }), async (req, res) => {
    const { passphrase } = input(res, { body: passphraseBody }).body;
    await act(res, (err) => renderBatch(deps, req, res, err), () => confirmBatch(deps, acting(res), { batchId: id(req, 'batchId'), passphrase }));
  });

  r.post('/office/disposal-batches/:batchId/finish', policy({ audience: 'director', stepUp: true, note: 'carry on an interrupted disposal batch and issue its certificates' }), validate({ body: passphraseBody }), async (req, res) => {
    const { passphrase } = input(res, { body: passphraseBody }).body;
    await act(res, (err) => renderBatch(deps, req, res, err), () => finishBatch(deps, acting(res), { batchId: id(req, 'batchId'), passphrase }));
  });

  r.post('/office/retention/reseal', policy({ audience: 'staff', note: "a key holder moves the numbers waiting into their disposal month's key" }), validate({ body: passphraseBody }), async (req, res) => {
    try {
      const out = await resealWaiting(deps, acting(res), input(res, { body: passphraseBody }).body);
      res.redirect(303, `/office/retention?moved=${out.moved}`);
    } catch (err) {
      if (!shown(err)) throw err;
      res.status(err.status).render('office/retention', { title: res.locals.t('retention.page.title'), ...(await schedulePage(deps)), moved: null, message: res.locals.t(err.messageKey, err.params) });
    }
  });

  r.get('/office/disposals', policy({ audience: 'staff', note: 'everything kinko destroyed (drops after ingest, person batches) with the certificates' }), async (_req, res) => {
    res.render('office/disposals', { title: res.locals.t('retention.disposals.title'), rows: await disposalsList(deps) });
  });

  r.get('/office/certificates/:certId/:file', policy({ audience: 'staff', note: 'a disposal certificate (either copy) or its signature' }), async (req, res) => {
    sendCertificate(res, await certificateFile(deps, id(req, 'certId'), 'office'), id(req, 'file'));
  });

  r.get('/room/:key/certificates', policy({ audience: 'client', tenant: true, note: "the client's disposal certificates (client copies)" }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    res.render('room/certificates', { room: { id: room.id, name: room.name }, base: `/room/${room.key}`, certificates: await roomCertificates(deps, room.id) });
  });

  r.get('/room/:key/certificates/:certId/:file', policy({ audience: 'client', tenant: true, note: 'download a disposal certificate (client copy) or its signature' }), async (req, res) => {
    const { room } = await requireOwnRoom(deps, req.params.key, res);
    sendCertificate(res, await certificateFile(deps, id(req, 'certId'), { companyId: room.id }), id(req, 'file'));
  });
  return r;
}

function sendCertificate(res: Response, c: { pdf: Buffer; signature: string; name: string }, file: string) {
  if (file === 'certificate.pdf') {
    res.set({ 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="${c.name}"` }).send(c.pdf);
  } else if (file === 'certificate.pdf.asc') {
    res.set({ 'Content-Type': 'application/pgp-signature', 'Content-Disposition': `attachment; filename="${c.name}.asc"` }).send(c.signature);
  } else throw new NotFound();
}
