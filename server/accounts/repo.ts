import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Queries of the director console: companies, their client login, staff.
 * Plain objects out. Secrets never leave as given: only hashes and sealed
 * copies are written, and no function here returns a password hash.
 */
type Db = Kysely<Database> | Transaction<Database>;

export interface CompanyRow {
  id: string;
  name: string;
  contactEmail: string;
  status: 'active' | 'revoked';
  accessKeySealed: string;
  createdAt: string;
  updatedAt: string;
}

export interface PersonRow {
  id: string;
  role: 'director' | 'staff' | 'client';
  companyId: string | null;
  loginId: string;
  displayName: string;
  email: string | null;
  status: 'active' | 'revoked';
  passwordIsInitial: boolean;
  initialExpiresAt: string | null;
  totpEnrolled: boolean;
  keyHolder: boolean;
  lockedUntil: string | null;
  hardLocked: boolean;
  createdAt: string;
}

const companyColumns = ['id', 'name', 'contact_email', 'status', 'access_key_sealed', 'created_at', 'updated_at'] as const;
const personColumns = [
  'id', 'role', 'company_id', 'login_id', 'display_name', 'email', 'status', 'password_is_initial', 'initial_expires_at',
  'totp_enrolled', 'key_holder', 'locked_until', 'hard_locked', 'created_at',
] as const;

type CompanySelect = { id: string; name: string; contact_email: string; status: 'active' | 'revoked'; access_key_sealed: string; created_at: string; updated_at: string };
function toCompany(r: CompanySelect): CompanyRow {
  return {
    id: r.id, name: r.name, contactEmail: r.contact_email, status: r.status,
    accessKeySealed: r.access_key_sealed, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

type PersonSelect = {
  id: string; role: PersonRow['role']; company_id: string | null; login_id: string; display_name: string; email: string | null;
  status: PersonRow['status']; password_is_initial: 0 | 1; initial_expires_at: string | null; totp_enrolled: 0 | 1;
  key_holder: 0 | 1; locked_until: string | null; hard_locked: 0 | 1; created_at: string;
};
function toPerson(r: PersonSelect): PersonRow {
  return {
    id: r.id, role: r.role, companyId: r.company_id, loginId: r.login_id, displayName: r.display_name, email: r.email,
    status: r.status, passwordIsInitial: r.password_is_initial === 1, initialExpiresAt: r.initial_expires_at,
    totpEnrolled: r.totp_enrolled === 1, keyHolder: r.key_holder === 1, lockedUntil: r.locked_until,
    hardLocked: r.hard_locked === 1, createdAt: r.created_at,
  };
}

/** The office's name for printed sheets; null before setup named it. */
export async function findOfficeName(db: Db): Promise<string | null> {
  const row = await db.selectFrom('office').select('name').orderBy('created_at', 'asc').executeTakeFirst();
  return row?.name ?? null;
}

export async function listCompanies(db: Db): Promise<CompanyRow[]> {
  const rows = await db.selectFrom('companies').select(companyColumns).orderBy('name', 'asc').orderBy('created_at', 'asc').execute();
  return rows.map(toCompany);
}

export async function findCompany(db: Db, id: string): Promise<CompanyRow | null> {
  const row = await db.selectFrom('companies').select(companyColumns).where('id', '=', id).executeTakeFirst();
  return row ? toCompany(row) : null;
}

export async function insertCompany(
  db: Db,
  c: { id: string; name: string; contactEmail: string; accessKeyHash: string; accessKeySealed: string; now: Date },
): Promise<void> {
  const at = c.now.toISOString();
  await db
    .insertInto('companies')
    .values({
      id: c.id, name: c.name, contact_email: c.contactEmail, status: 'active',
      access_key_hash: c.accessKeyHash, access_key_sealed: c.accessKeySealed, created_at: at, updated_at: at,
    })
    .execute();
}

export async function setCompanyAccessKey(db: Db, id: string, hash: string, sealed: string, now: Date): Promise<void> {
  await db
    .updateTable('companies')
    .set({ access_key_hash: hash, access_key_sealed: sealed, updated_at: now.toISOString() })
    .where('id', '=', id)
    .execute();
}

/** Compare-and-set: true only when the status really changed (a repeated click does nothing twice). */
export async function setCompanyStatus(db: Db, id: string, from: 'active' | 'revoked', to: 'active' | 'revoked', now: Date): Promise<boolean> {
  const r = await db
    .updateTable('companies')
    .set({ status: to, updated_at: now.toISOString() })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The client login(s) of a company, oldest first (kinko issues one per company). */
export async function listCompanyUsers(db: Db, companyId: string): Promise<PersonRow[]> {
  const rows = await db
    .selectFrom('users')
    .select(personColumns)
    .where('company_id', '=', companyId)
    .where('role', '=', 'client')
    .orderBy('created_at', 'asc')
    .execute();
  return rows.map(toPerson);
}

/** Company id → the login ID of its (first) client login, for the company list. */
export async function clientLoginIds(db: Db): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('users')
    .select(['company_id', 'login_id'])
    .where('role', '=', 'client')
    .where('company_id', 'is not', null)
    .orderBy('created_at', 'desc')
    .execute();
  // Oldest last, so it wins: the same login the detail page shows first.
  return new Map(rows.map((r) => [r.company_id!, r.login_id]));
}

export async function listOfficePeople(db: Db): Promise<PersonRow[]> {
  const rows = await db
    .selectFrom('users')
    .select(personColumns)
    .where('role', 'in', ['staff', 'director'])
    .orderBy('role', 'asc')
    .orderBy('display_name', 'asc')
    .execute();
  return rows.map(toPerson);
}

export async function findPerson(db: Db, id: string): Promise<PersonRow | null> {
  const row = await db.selectFrom('users').select(personColumns).where('id', '=', id).executeTakeFirst();
  return row ? toPerson(row) : null;
}

export async function loginIdTaken(db: Db, loginId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirst();
  return !!row;
}

export async function insertPerson(
  db: Db,
  p: {
    id: string; role: 'staff' | 'client'; companyId: string | null; loginId: string; displayName: string; email: string;
    passwordHash: string; initialExpiresAt: Date; now: Date;
  },
): Promise<void> {
  const at = p.now.toISOString();
  await db
    .insertInto('users')
    .values({
      id: p.id, role: p.role, company_id: p.companyId, login_id: p.loginId, display_name: p.displayName, email: p.email,
      status: 'active', password_hash: p.passwordHash, password_is_initial: 1, initial_expires_at: p.initialExpiresAt.toISOString(),
      // No TOTP yet: the login flow enrols it at first sign-in.
      totp_secret_sealed: null, totp_enrolled: 0, totp_last_step: 0,
      key_holder: 0, failed_since_success: 0, locked_until: null, hard_locked: 0, created_at: at, updated_at: at,
    })
    .execute();
}

/**
 * A fresh one-time password and a TOTP reset: the person signs in with the new
 * sheet and enrols an authenticator again. Locks are cleared too, since the
 * director has just re-established who holds the credential. The last accepted
 * TOTP step is kept: it only ever moves forward.
 */
export async function resetCredential(db: Db, userId: string, passwordHash: string, initialExpiresAt: Date, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({
      password_hash: passwordHash, password_is_initial: 1, initial_expires_at: initialExpiresAt.toISOString(),
      totp_secret_sealed: null, totp_enrolled: 0,
      failed_since_success: 0, locked_until: null, hard_locked: 0, updated_at: now.toISOString(),
    })
    .where('id', '=', userId)
    .execute();
}

export async function setPersonStatus(db: Db, id: string, from: 'active' | 'revoked', to: 'active' | 'revoked', now: Date): Promise<boolean> {
  const r = await db
    .updateTable('users')
    .set({ status: to, updated_at: now.toISOString() })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
