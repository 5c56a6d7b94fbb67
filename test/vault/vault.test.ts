import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { decryptRecord, RECORD_BYTES } from '../../server/vault/crypto.js';
import { StorageExistsError } from '../../storage-adapters/errors.js';
import {
  deleteVaultObject,
  findOrphanVaultObjects,
  insertPersons,
  NumberInPersonRow,
  openVaultSession,
} from '../../server/vault/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { databaseUrl } from '../helpers/databases.js';
import { everyCell, filesUnder, makeCompany, makeVaultOffice, numbersIn, numbersInBytes, PASSPHRASES, putInVault, type Employee, type VaultOffice } from '../helpers/vault-office.js';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.each(testDatabases())('the vault on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let office: VaultOffice;
  let officeKey: openpgp.PrivateKey;
  const numbers = syntheticMyNumbers(60, 5);
  let company: { id: string; name: string };
  let employees: Employee[];

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) });
    office = await makeVaultOffice(t.deps);
    officeKey = await unlockOfficeKey(t.deps, office.director.id, PASSPHRASES.director);
    company = await makeCompany(t.deps, '保管テスト株式会社');
    employees = Array.from({ length: 20 }, (_, i) => ({
      number: numbers[i * 3]!,
      name: `従業員 ${i + 1}`,
      furigana: `ジュウギョウイン ${i + 1}`,
      employeeCode: `E${String(i + 1).padStart(4, '0')}`,
      dependents: [
        { number: numbers[i * 3 + 1]!, name: `配偶者 ${i + 1}`, relation: '配偶者' },
        { number: numbers[i * 3 + 2]!, name: `子 ${i + 1}`, relation: '扶養親族1' },
      ],
    }));
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  it('a session creates the company index key and the cohort data key once, wrapped; reopening finds the same', async () => {
    const a = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2025' });
    const b = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2025' });
    const c = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2026' });
    try {
      expect(b.dataKeyId).toBe(a.dataKeyId);
      expect(c.dataKeyId).not.toBe(a.dataKeyId);
      expect(b.indexOf(numbers[0]!)).toBe(a.indexOf(numbers[0]!));
      expect(c.indexOf(numbers[0]!)).toBe(a.indexOf(numbers[0]!)); // one index key per company, across cohorts
      const keys = await t.deps.db.selectFrom('data_keys').selectAll().where('company_id', '=', company.id).execute();
      expect(keys).toHaveLength(2);
      for (const k of keys) expect(k.wrapped_key).toMatch(/^-----BEGIN PGP MESSAGE-----/);
      const idx = await t.deps.db.selectFrom('index_keys').selectAll().execute();
      expect(idx.map((r) => r.company_id)).toEqual([company.id]);
    } finally {
      a.close();
      b.close();
      c.close();
    }
    expect(() => a.indexOf(numbers[0]!)).toThrow(/closed/);
    expect(() => a.sealRecord(numbers[0]!)).toThrow(/closed/);
  });

  it('sessions opened at the same moment for a new company agree on one index key and one data key', async () => {
    const fresh = await makeCompany(t.deps, '同時開始株式会社');
    const sessions = await Promise.all(Array.from({ length: 4 }, () => openVaultSession(t.deps, { companyId: fresh.id, officeKey, cohort: '2025' })));
    try {
      expect(new Set(sessions.map((s) => s.dataKeyId)).size).toBe(1);
      expect(new Set(sessions.map((s) => s.indexOf(numbers[0]!))).size).toBe(1);
      expect(await t.deps.db.selectFrom('data_keys').select('id').where('company_id', '=', fresh.id).execute()).toHaveLength(1);
      expect(await t.deps.db.selectFrom('index_keys').select('company_id').where('company_id', '=', fresh.id).execute()).toHaveLength(1);
    } finally {
      for (const s of sessions) s.close();
    }
  });

  it('records round-trip: sealed, written create-only, found again by number and by employee', async () => {
    const rows = await putInVault(t.deps, { companyId: company.id, employees });
    expect(rows).toHaveLength(60);
    const session = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2025' });
    try {
      const found = await session.findByNumber(t.deps.db, numbers[4]!);
      expect(found?.name).toBe('配偶者 2');
      expect(found?.employee_person_id).toBe(rows[3]!.id);
      expect(await session.findByNumber(t.deps.db, syntheticMyNumbers(1, 999)[0]!)).toBeNull();

      // Same employee with a different number → the ingest finds the existing one (a number change to review).
      const same = await session.findByEmployee(t.deps.db, { employeeCode: 'E0002', name: '従業員 2', relation: '本人' });
      expect(same.map((p) => p.id)).toEqual([rows[3]!.id]);
      const dep = await session.findByEmployee(t.deps.db, { employeeCode: 'E0002', name: '子 2', relation: '扶養親族1' });
      expect(dep.map((p) => p.id)).toEqual([rows[5]!.id]);
      // Another relation (column group) under the same name is another person.
      expect(await session.findByEmployee(t.deps.db, { employeeCode: 'E0002', name: '子 2', relation: '配偶者' })).toEqual([]);
      expect(await session.findByEmployee(t.deps.db, { employeeCode: 'E0002', name: '子 2', relation: '扶養親族2' })).toEqual([]);
      const byName = await session.findByEmployee(t.deps.db, { name: '従業員 3', relation: '本人' });
      expect(byName.map((p) => p.id)).toEqual([rows[6]!.id]);

      // The object under the token decrypts to the number (with the data key the session unwrapped).
      const raw = await (await import('../../server/vault/keys.js')).cohortDataKey(t.deps, company.id, '2025', officeKey);
      for (const [i, r] of rows.entries()) {
        const bytes = await readAll(await t.deps.storage.vault.get(r.token));
        expect(decryptRecord(raw.raw, r.token, bytes)).toBe(i % 3 === 0 ? employees[i / 3]!.number : employees[Math.floor(i / 3)]!.dependents![(i % 3) - 1]!.number);
      }
      raw.raw.fill(0);

      // Create-only: a token is never overwritten.
      const sealed = session.sealRecord(numbers[0]!);
      await expect(session.writeRecord(rows[0]!.token, sealed.bytes)).rejects.toBeInstanceOf(StorageExistsError);
    } finally {
      session.close();
    }
  });

  it('P2: the vault holds only 40-byte ciphertext objects under 32-hex-char names — no names, company ids or numbers', async () => {
    const objects = [];
    for await (const o of t.deps.storage.vault.list('')) objects.push(o);
    expect(objects.length).toBeGreaterThanOrEqual(60);
    const names = employees.flatMap((e) => [e.name, e.employeeCode!, ...(e.dependents ?? []).map((d) => d.name)]);
    for (const o of objects) {
      expect(o.key).toMatch(/^[0-9a-f]{32}$/);
      expect(o.size).toBe(RECORD_BYTES);
      const bytes = await readAll(await t.deps.storage.vault.get(o.key));
      for (const needle of [company.id, company.name, '保管テスト', ...names]) expect(bytes.includes(Buffer.from(needle))).toBe(false);
      expect(numbersInBytes(bytes, numbers)).toEqual([]);
    }
    // On disk: the vault folder holds the packed store (records.sqlite and its
    // log) and nothing else; its one table has the token, the ciphertext and
    // the time written — no column for a name, a company or anything else.
    if (t.deps.config.storage.kind === 'local') {
      const dir = t.deps.config.storage.vaultDir;
      for (const f of filesUnder(dir)) expect(path.relative(dir, f)).toMatch(/^records\.sqlite(-wal|-shm)?$/);
      const pack = new Database(path.join(dir, 'records.sqlite'), { readonly: true });
      try {
        expect(pack.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['objects']);
        expect(pack.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('objects')).toEqual(['key', 'bytes', 'modified_ms']);
        expect(pack.prepare('SELECT count(*) FROM objects').pluck().get()).toBe(objects.length);
      } finally {
        pack.close();
      }
      const onDisk = Buffer.concat(filesUnder(dir).map((f) => fs.readFileSync(f)));
      for (const needle of [company.id, company.name, '保管テスト', ...names]) expect(onDisk.includes(Buffer.from(needle))).toBe(false);
      expect(numbersInBytes(onDisk, numbers)).toEqual([]);
    }
  });

  it('P3: no column of any table, no byte of the database file, data folder or logs holds any of the numbers in any written form', async () => {
    const hits: string[] = [];
    for (const cell of await everyCell(t.deps)) {
      const found = numbersIn(cell.text, numbers);
      if (found.length) hits.push(`${cell.where}`);
    }
    expect(hits).toEqual([]);
    // Every file of the data folder: SQLite file and its WAL, vault, outbox, secrets.
    await t.deps.db.selectFrom('persons').select('id').limit(1).execute(); // a read keeps the WAL in place
    const files = filesUnder(t.dataDir);
    if (db.config.kind === 'sqlite') {
      expect(fs.existsSync(db.config.file)).toBe(true);
      for (const f of [db.config.file, `${db.config.file}-wal`, `${db.config.file}-shm`]) if (fs.existsSync(f) && !files.includes(f)) files.push(f);
    }
    if (t.deps.config.storage.kind === 'local') expect(files).toContain(path.join(t.deps.config.storage.vaultDir, 'records.sqlite'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect([f, numbersInBytes(fs.readFileSync(f), numbers)]).toEqual([f, []]);
    expect(numbersIn(t.logs.text, numbers)).toEqual([]);
  });

  it('P4: with only the database and the vault folder, neither the wrapped keys nor the records open', async () => {
    const copies = await t.deps.db.selectFrom('key_copies').select('locked_private_key').execute();
    const wrapped = [
      ...(await t.deps.db.selectFrom('data_keys').select('wrapped_key').execute()).map((r) => r.wrapped_key!),
      ...(await t.deps.db.selectFrom('index_keys').select('wrapped_key').execute()).map((r) => r.wrapped_key),
    ];
    expect(wrapped.length).toBeGreaterThanOrEqual(3);
    for (const c of copies) {
      const locked = await openpgp.readPrivateKey({ armoredKey: c.locked_private_key });
      expect(locked.isDecrypted()).toBe(false);
      for (const w of wrapped) {
        await expect(openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: w }), decryptionKeys: locked, format: 'binary' })).rejects.toThrow();
      }
      // Nor does anything the database itself holds (login password hashes, other columns) unlock a copy.
      for (const guess of ['', company.id, PASSPHRASES.oneTime.slice(0, 8)]) {
        await expect(openpgp.decryptKey({ privateKey: locked, passphrase: guess || 'x' })).rejects.toThrow();
      }
    }
  });

  it('insertPersons refuses a row whose text holds a My Number, and the whole transaction rolls back', async () => {
    const session = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2025' });
    try {
      const n = numbers[59]!;
      const ok = session.personRow({ token: session.sealRecord(n).token, number: n, name: '正しい 人', relation: '本人' });
      const bad = session.personRow({ token: session.sealRecord(n).token, number: n, name: `番号 ${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`, relation: '本人' });
      const before = (await t.deps.db.selectFrom('persons').select('id').execute()).length;
      const err = await t.deps.db.transaction().execute((trx) => insertPersons(trx, [ok, bad])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NumberInPersonRow);
      expect((err as Error).message).not.toContain(n.slice(0, 4));
      expect((await t.deps.db.selectFrom('persons').select('id').execute()).length).toBe(before);
    } finally {
      session.close();
    }
  });

  it('orphans: a record written without its row is found by reconciliation and deleted with every copy', async () => {
    const session = await openVaultSession(t.deps, { companyId: company.id, officeKey, cohort: '2025' });
    let orphan: string;
    try {
      const s = session.sealRecord(numbers[58]!);
      await session.writeRecord(s.token, s.bytes);
      orphan = s.token;
    } finally {
      session.close();
    }
    // Young objects are left alone (an ingest may be about to commit them).
    const young: string[] = [];
    for await (const k of findOrphanVaultObjects(t.deps, { olderThanMs: 60 * 60_000 })) young.push(k);
    expect(young).not.toContain(orphan);
    const found: string[] = [];
    for await (const k of findOrphanVaultObjects(t.deps, { olderThanMs: 0 })) found.push(k);
    expect(found).toEqual([orphan]);
    await deleteVaultObject(t.deps, orphan);
    expect(await t.deps.storage.vault.remnants(orphan)).toEqual([]);
    await deleteVaultObject(t.deps, orphan); // idempotent
    await expect(deleteVaultObject(t.deps, '../secrets/signing')).rejects.toThrow(TypeError);
  });
});
