import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { sql } from 'kysely';
import type { Deps } from '../../server/deps.js';
import { generateOfficeKey, unlockOfficeKey } from '../../server/keys/office-key.js';
import { randomId } from '../../server/lib/random.js';
import { openVaultSession, insertPersons, type NewPersonRow, type PersonRow } from '../../server/vault/service.js';
import { makeCompany, makeUser, type MadeUser } from './actors.js';
import { variants } from './mynumber.js';

/**
 * Arrange helpers for the vault suites: an office key with locked copies for
 * a director and a key-holder staff member (straight into the database, as
 * setup and designation would leave them), and persons put into the vault
 * through the same API the ingest flow uses.
 */
export const PASSPHRASES = {
  director: 'director-vault-key-passphrase',
  keyHolder: 'staff-vault-key-passphrase',
  oneTime: 'one-time-passphrase-from-director',
};

const KEY_CONFIG: openpgp.PartialConfig = { aeadProtect: false, v6Keys: false };

export interface VaultOffice {
  fingerprint: string;
  director: MadeUser;
  keyHolder: MadeUser;
  plainStaff: MadeUser;
  /** A holder whose copy still has the one-time passphrase. */
  mustChange: MadeUser;
}

export async function makeVaultOffice(deps: Deps): Promise<VaultOffice> {
  const key = await generateOfficeKey('テスト社労士事務所', PASSPHRASES.director);
  await deps.db.insertInto('office_keys').values({ fingerprint: key.fingerprint, public_key: key.publicKeyArmored, created_at: deps.clock.now().toISOString() }).execute();
  const director = await makeUser(deps, { role: 'director', keyHolder: true, name: '所長 花子' });
  const keyHolder = await makeUser(deps, { role: 'staff', keyHolder: true, name: '担当 一郎' });
  const plainStaff = await makeUser(deps, { role: 'staff', name: '事務 次郎' });
  const mustChange = await makeUser(deps, { role: 'staff', keyHolder: true, name: '新任 三郎' });
  await addCopy(deps, director.id, key.fingerprint, key.lockedPrivateKeyArmored, false);
  await addCopy(deps, keyHolder.id, key.fingerprint, await relock(key.lockedPrivateKeyArmored, PASSPHRASES.keyHolder), false);
  await addCopy(deps, mustChange.id, key.fingerprint, await relock(key.lockedPrivateKeyArmored, PASSPHRASES.oneTime), true);
  return { fingerprint: key.fingerprint, director, keyHolder, plainStaff, mustChange };
}

/** Another key holder (own copy, own passphrase). */
export async function addKeyHolder(deps: Deps, role: 'staff' | 'director', passphrase: string): Promise<MadeUser> {
  const user = await makeUser(deps, { role, keyHolder: true });
  const director = await deps.db.selectFrom('key_copies').select(['locked_private_key', 'fingerprint']).orderBy('created_at').executeTakeFirstOrThrow();
  const copy = await relockFrom(director.locked_private_key, PASSPHRASES.director, passphrase);
  await addCopy(deps, user.id, director.fingerprint, copy, false);
  return user;
}

async function relock(directorCopy: string, passphrase: string): Promise<string> {
  return relockFrom(directorCopy, PASSPHRASES.director, passphrase);
}

async function relockFrom(lockedArmored: string, from: string, to: string): Promise<string> {
  const unlocked = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: lockedArmored }), passphrase: from, config: KEY_CONFIG });
  return (await openpgp.encryptKey({ privateKey: unlocked, passphrase: to, config: KEY_CONFIG })).armor();
}

async function addCopy(deps: Deps, userId: string, fingerprint: string, locked: string, mustChange: boolean): Promise<void> {
  await deps.db
    .insertInto('key_copies')
    .values({ user_id: userId, fingerprint, locked_private_key: locked, must_change: mustChange ? 1 : 0, created_by: null, created_at: deps.clock.now().toISOString() })
    .execute();
}

export interface Employee {
  number: string;
  name: string;
  furigana?: string;
  employeeCode?: string;
  dependents?: Array<{ number: string; name: string; relation: string }>;
}

/**
 * Puts employees (and their dependents) into the vault the way the ingest
 * commit does: seal → create-only write → one transaction inserting the rows.
 * Returns the inserted rows in the order given (employee, then its dependents).
 */
export async function putInVault(
  deps: Deps,
  opts: { companyId: string; cohort?: string; employees: Employee[]; unlockAs?: string; passphrase?: string; dropId?: string },
): Promise<PersonRow[]> {
  const officeKey = await unlockOfficeKey(deps, opts.unlockAs ?? (await firstHolder(deps)), opts.passphrase ?? PASSPHRASES.director);
  const session = await openVaultSession(deps, { companyId: opts.companyId, officeKey, cohort: opts.cohort ?? '2025' });
  try {
    const rows: NewPersonRow[] = [];
    let row = 2;
    for (const e of opts.employees) {
      const self = session.sealRecord(e.number);
      await session.writeRecord(self.token, self.bytes);
      const emp = session.personRow({
        token: self.token, number: e.number, name: e.name, furigana: e.furigana ?? null, employeeCode: e.employeeCode ?? null,
        relation: '本人', sourceDropId: opts.dropId ?? null, sourceSheet: '従業員', sourceRow: row,
      });
      rows.push(emp);
      for (const d of e.dependents ?? []) {
        const s = session.sealRecord(d.number);
        await session.writeRecord(s.token, s.bytes);
        rows.push(session.personRow({
          token: s.token, number: d.number, name: d.name, relation: d.relation, employeeCode: e.employeeCode ?? null,
          employeePersonId: emp.id, sourceDropId: opts.dropId ?? null, sourceSheet: '従業員', sourceRow: row,
        }));
      }
      row++;
    }
    await deps.db.transaction().execute((trx) => insertPersons(trx, rows));
    const ids = rows.map((r) => r.id);
    const stored = await deps.db.selectFrom('persons').selectAll().where('id', 'in', ids).execute();
    return ids.map((id) => stored.find((s) => s.id === id)!);
  } finally {
    session.close();
  }
}

async function firstHolder(deps: Deps): Promise<string> {
  const d = await deps.db
    .selectFrom('key_copies')
    .innerJoin('users', 'users.id', 'key_copies.user_id')
    .select('users.id')
    .where('users.role', '=', 'director')
    .executeTakeFirstOrThrow();
  return d.id;
}

export { makeCompany, randomId };

// ---- scanning for numbers --------------------------------------------------

const FULL = /[０-９]/g;
const SEPARATORS = /[-‐－ー−\s　]/g;

/** The synthetic numbers present in `text` in any written form (half/full width, any separators). */
export function numbersIn(text: string, numbers: readonly string[]): string[] {
  const found = new Set<string>();
  for (const n of numbers) for (const v of variants(n)) if (text.includes(v)) found.add(n);
  const normal = text.replace(FULL, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(SEPARATORS, '');
  for (const n of numbers) if (normal.includes(n)) found.add(n);
  return [...found];
}

/** Also the binary forms a database could use for a number stored as an integer or a float. */
export function numbersInBytes(bytes: Buffer, numbers: readonly string[]): string[] {
  const found = new Set<string>([
    ...numbersIn(bytes.toString('latin1'), numbers),
    ...numbersIn(bytes.toString('utf8'), numbers),
    ...numbersIn(bytes.toString('utf16le'), numbers),
  ]);
  for (const n of numbers) {
    const v = BigInt(n);
    const be8 = Buffer.alloc(8);
    be8.writeBigInt64BE(v);
    const le8 = Buffer.alloc(8);
    le8.writeBigInt64LE(v);
    const f8 = Buffer.alloc(8);
    f8.writeDoubleBE(Number(n));
    const forms = [be8, be8.subarray(2), le8, f8];
    if (forms.some((f) => bytes.includes(f))) found.add(n);
  }
  return [...found];
}

/** Every file below `dir`, recursively (hidden ones too). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Every value of every column of every table, as `table.column` → text. */
export async function everyCell(deps: Deps): Promise<Array<{ where: string; text: string }>> {
  const tables =
    deps.database.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(deps.db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(deps.db)).rows.map((r) => r.name);
  const out: Array<{ where: string; text: string }> = [];
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(deps.db)).rows;
    for (const r of rows) {
      for (const [col, v] of Object.entries(r)) {
        if (v === null || v === undefined) continue;
        out.push({ where: `${table}.${col}`, text: Buffer.isBuffer(v) ? v.toString('latin1') : String(v) });
      }
    }
  }
  return out;
}
