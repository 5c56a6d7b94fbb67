import QRCode from 'qrcode';
import { limits } from '../config.js';
import type { Deps } from '../deps.js';
import type { Acting } from '../audit/acting.js';
import { record } from '../audit/record.js';
import { NotFound } from '../http/errors.js';
import { randomId } from '../lib/random.js';
import { collectLinkHash, collectUrl, newCollectLink } from './links.js';
import { requestEmail } from './mail.js';
import * as repo from './repo.js';
import { requestView, type RequestView } from './status.js';

/** One employee to ask, as the requester typed them (schema.ts has checked each field). */
export interface PersonToAsk {
  name: string;
  employeeCode: string | null;
  email: string | null;
}

/** A link handed over on paper: the only moment kinko knows the link in the clear besides the e-mail. */
export interface Slip {
  name: string;
  employeeCode: string | null;
  url: string;
  qrSvg: string;
  expiresAt: string;
  /** Why this person gets a slip: no address given, or the e-mail could not be sent. */
  reason: 'slip' | 'mailFailed';
}

export interface Issued {
  mailed: number;
  slips: Slip[];
}

/**
 * Issues one collection link per person, bound to this company and that person
 * (the row carries both; the link is only its hash). All rows and their
 * audit entries commit together; then the e-mails go out. A person whose
 * e-mail fails still has a live request: their link comes back as a slip to
 * print, so nothing the requester asked for is lost and no link is sent twice.
 */
export async function issueRequests(deps: Deps, acting: Acting, input: { companyId: string; people: PersonToAsk[] }): Promise<Issued> {
  const company = await deps.db.selectFrom('companies').select(['id', 'name', 'status']).where('id', '=', input.companyId).executeTakeFirst();
  if (!company || company.status !== 'active') throw new NotFound();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + limits.collect.linkTtlMs);
  const made = input.people.slice(0, limits.collect.maxPeoplePerRequest).map((p) => ({ person: p, id: randomId(), link: newCollectLink() }));
  await deps.db.transaction().execute(async (trx) => {
    await repo.insertRequests(
      trx,
      made.map(({ person, id, link }) => ({
        id, company_id: company.id, person_name: person.name, employee_code: person.employeeCode, email: person.email,
        delivery: person.email ? 'mail' : 'slip', status: 'requested', link_hash: collectLinkHash(link),
        expires_at: expiresAt.toISOString(), links_issued: 1, opened_at: null, notice_version: null, acknowledged_at: null,
        submitted_at: null, declined_at: null, decline_reason: null, return_reason: null, requested_by: acting.userId ?? '',
        created_at: now.toISOString(), updated_at: now.toISOString(),
      })),
    );
    for (const { person, id } of made) {
      await record(trx, acting, {
        action: 'collect.requested', companyId: company.id, targetIds: [id],
        details: { delivery: person.email ? 'mail' : 'slip', via: acting.role === 'client' ? 'room' : 'office' },
      });
    }
  });
  const t = { ja: deps.i18n.getFixedT('ja'), en: deps.i18n.getFixedT('en') };
  let mailed = 0;
  const slips: Slip[] = [];
  for (const { person, id, link } of made) {
    const url = collectUrl(deps.config.publicUrl, link);
    if (person.email) {
      try {
        await deps.mailer.send(requestEmail(person.email, { companyName: company.name, personName: person.name, url, expiresAt }, t));
        mailed += 1;
        continue;
      } catch (err) {
        // Never the address or the link in the log: the request id says which one.
        deps.logger.warn({ collectRequest: id, err: (err as Error).name }, 'collection request: e-mail not sent, handed back as a slip');
      }
    }
    slips.push({
      name: person.name, employeeCode: person.employeeCode, url, expiresAt: expiresAt.toISOString(),
      qrSvg: await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
      reason: person.email ? 'mailFailed' : 'slip',
    });
  }
  return { mailed, slips };
}

/** What the requester sees: per person a status, never a number (status.ts). */
export async function listRequests(deps: Deps, companyId: string): Promise<RequestView[]> {
  const now = deps.clock.now();
  return (await repo.requestsOfCompany(deps.db, companyId)).map((r) => requestView(r, now));
}

/**
 * The requester takes a link back before it is used. Afterwards the link
 * answers like a random one. Another company's request id is a 404.
 */
export async function revokeRequest(deps: Deps, acting: Acting, input: { companyId: string; requestId: string }): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const row = await repo.requestOfCompany(trx, input.companyId, input.requestId);
    if (!row) throw new NotFound();
    if (!(await repo.moveRequest(trx, row.id, 'requested', { status: 'revoked', updated_at: now }))) return;
    await record(trx, acting, { action: 'collect.revoked', companyId: input.companyId, targetIds: [row.id] });
  });
}
