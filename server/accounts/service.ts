import { destroyUserSessions } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { Conflict, NotFound } from '../http/errors.js';
import { randomId } from '../lib/random.js';
import { Sealer } from '../lib/secret-box.js';
import { accessKeyHash, newAccessKey } from '../auth/access-keys.js';
import { auditAs, type Acting } from './acting.js';
import { newClientLoginId, newInitialPassword, roomUrl, type CredentialSheet } from './credential-sheet.js';
import { looksLikeId, type CompanyForm } from './forms.js';
import * as repo from './repo.js';
import { unlockAccount } from './unlock.js';

/**
 * Client companies and their room credentials (design §1 steps 1 and 8).
 * Every change and its audit entry commit in one transaction; slow work
 * (Argon2id) happens before it opens. Unknown, malformed and other-company ids
 * all answer the same NotFound.
 */
const SEAL_PURPOSE = 'access-key';

export interface CompanyOverview extends repo.CompanyRow {
  loginId: string | null;
}

export async function listCompanies(deps: Deps): Promise<CompanyOverview[]> {
  const [companies, logins] = await Promise.all([repo.listCompanies(deps.db), repo.clientLoginIds(deps.db)]);
  return companies.map((c) => ({ ...c, loginId: logins.get(c.id) ?? null }));
}

export async function companyDetail(deps: Deps, id: string): Promise<{ company: repo.CompanyRow; clients: repo.PersonRow[] }> {
  const company = looksLikeId(id) ? await repo.findCompany(deps.db, id) : null;
  if (!company) throw new NotFound();
  return { company, clients: await repo.listCompanyUsers(deps.db, id) };
}

/**
 * Creating a company issues its room: an access key (only its hash is
 * searchable; a sealed copy lets a later sheet show the URL again), and one
 * client login with a one-time initial password. TOTP is enrolled by the
 * client at first login.
 */
export async function issueCompany(deps: Deps, acting: Acting, form: CompanyForm): Promise<CredentialSheet> {
  const now = deps.clock.now();
  const initial = await newInitialPassword(now);
  const accessKey = newAccessKey();
  const companyId = randomId();
  const userId = randomId();
  const loginId = await freeClientLoginId(deps);
  await deps.db.transaction().execute(async (trx) => {
    await repo.insertCompany(trx, {
      id: companyId, name: form.name, contactEmail: form.contactEmail,
      accessKeyHash: accessKeyHash(accessKey), accessKeySealed: sealer(deps).seal(accessKey, SEAL_PURPOSE), now,
    });
    await repo.insertPerson(trx, {
      id: userId, role: 'client', companyId, loginId, displayName: form.name, email: form.contactEmail,
      passwordHash: initial.hash, initialExpiresAt: initial.expiresAt, now,
    });
    await auditAs(trx, deps, acting, { action: 'credential.issue', companyId, targetIds: [companyId, userId] });
  });
  return sheet(deps, { name: form.name, loginId, accessKey, password: initial.password, expiresAt: initial.expiresAt, reason: 'issue', now });
}

/**
 * A new initial password and a TOTP reset (re-enrolment at the next login),
 * e.g. when the client lost the sheet or its phone. Every session of the old
 * credential ends. A company issued without a client login gets one here.
 */
export async function reissueClient(deps: Deps, acting: Acting, companyId: string): Promise<CredentialSheet> {
  const { company, clients } = await companyDetail(deps, companyId);
  if (company.status !== 'active') throw new Conflict('accounts.errors.companyRevoked');
  const now = deps.clock.now();
  const initial = await newInitialPassword(now);
  const existing = clients[0];
  const loginId = existing?.loginId ?? (await freeClientLoginId(deps));
  const userId = existing?.id ?? randomId();
  await deps.db.transaction().execute(async (trx) => {
    let ended = 0;
    if (existing) {
      await repo.resetCredential(trx, userId, initial.hash, initial.expiresAt, now);
      ended = await destroyUserSessions(trx, userId);
    } else {
      await repo.insertPerson(trx, {
        id: userId, role: 'client', companyId, loginId, displayName: company.name, email: company.contactEmail,
        passwordHash: initial.hash, initialExpiresAt: initial.expiresAt, now,
      });
    }
    await auditAs(trx, deps, acting, {
      action: 'credential.reissue', companyId, targetIds: [userId], details: { role: 'client', sessionsEnded: ended },
    });
  });
  const accessKey = sealer(deps).unseal(company.accessKeySealed, SEAL_PURPOSE);
  return sheet(deps, { name: company.name, loginId, accessKey, password: initial.password, expiresAt: initial.expiresAt, reason: 'reissue', now });
}

/**
 * A new room URL: the old one answers 404 from now on (its hash is gone).
 * The client keeps its password; the sheet shows the new address only.
 * A rotation is what the director does when the old URL may have leaked, so
 * whoever used it must not stay in: every session and API token of the room
 * ends in the same transaction, exactly as at revocation (issue 12 item 6).
 */
export async function rotateAccessKey(deps: Deps, acting: Acting, companyId: string): Promise<CredentialSheet> {
  const { company, clients } = await companyDetail(deps, companyId);
  if (company.status !== 'active') throw new Conflict('accounts.errors.companyRevoked');
  const now = deps.clock.now();
  const accessKey = newAccessKey();
  await deps.db.transaction().execute(async (trx) => {
    await repo.setCompanyAccessKey(trx, companyId, accessKeyHash(accessKey), sealer(deps).seal(accessKey, SEAL_PURPOSE), now);
    let ended = 0;
    for (const c of clients) ended += await destroyUserSessions(trx, c.id);
    await auditAs(trx, deps, acting, {
      action: 'credential.rotate', companyId, targetIds: [companyId, ...clients.map((c) => c.id)], details: { sessionsEnded: ended },
    });
  });
  return sheet(deps, { name: company.name, loginId: clients[0]?.loginId ?? '', accessKey, password: null, expiresAt: null, reason: 'rotate', now });
}

/**
 * Revocation (design §1 step 8): the company's room closes and every live
 * session of its people is deleted, so a signed-in client is out at its very
 * next request. Revoking twice changes nothing and writes nothing.
 */
export async function revokeCompany(deps: Deps, acting: Acting, companyId: string): Promise<void> {
  const { clients } = await companyDetail(deps, companyId);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.setCompanyStatus(trx, companyId, 'active', 'revoked', now))) return;
    let ended = 0;
    for (const c of clients) ended += await destroyUserSessions(trx, c.id);
    await auditAs(trx, deps, acting, {
      action: 'credential.revoke', companyId, targetIds: [companyId, ...clients.map((c) => c.id)], details: { sessionsEnded: ended },
    });
  });
}

/** Re-opens a revoked room with the same URL and password as before. */
export async function enableCompany(deps: Deps, acting: Acting, companyId: string): Promise<void> {
  await companyDetail(deps, companyId);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.setCompanyStatus(trx, companyId, 'revoked', 'active', now))) return;
    await auditAs(trx, deps, acting, { action: 'credential.enable', companyId, targetIds: [companyId] });
  });
}

/** The printable sheet for the client of `companyId`, for the response that created its password. */
async function sheet(
  deps: Deps,
  s: { name: string; loginId: string; accessKey: string; password: string | null; expiresAt: Date | null; reason: CredentialSheet['reason']; now: Date },
): Promise<CredentialSheet> {
  return {
    audience: 'client',
    reason: s.reason,
    officeName: await repo.findOfficeName(deps.db),
    companyName: s.name,
    personName: s.name,
    url: roomUrl(deps.config.publicUrl, s.accessKey),
    loginId: s.loginId,
    password: s.password,
    expiresAt: s.expiresAt,
    issuedAt: s.now,
  };
}

/** A generated login ID nobody has (collisions are unlikely; the unique index is the final word). */
async function freeClientLoginId(deps: Deps): Promise<string> {
  for (;;) {
    const id = newClientLoginId();
    if (!(await repo.loginIdTaken(deps.db, id))) return id;
  }
}

function sealer(deps: Deps): Sealer {
  return new Sealer(deps.secrets.signing);
}

/** Ends a login lock of the company's client (a hard lock waits for the director). */
export async function unlockClient(deps: Deps, acting: Acting, companyId: string): Promise<void> {
  const { clients } = await companyDetail(deps, companyId);
  for (const c of clients) await unlockAccount(deps, acting, c, 'credential.unlock');
}
