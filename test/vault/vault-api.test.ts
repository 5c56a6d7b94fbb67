import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Forbidden, NotFound } from '../../server/http/errors.js';
import { NotKeyHolder, WrongKeyPassphrase } from '../../server/keys/errors.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { eraseCohort, openVaultSession, readNumbersForPurpose, revealNumber, type PersonRow } from '../../server/vault/index.js';
import { RevealBlocked, RevealPurposeRequired, VaultRecordDamaged, VaultRecordDisposed } from '../../server/vault/errors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { fakeClock } from '../helpers/clock.js';
import { databaseUrl } from '../helpers/databases.js';
import { everyCell, makeCompany, makeVaultOffice, numbersIn, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * The vault's API beyond one reveal (server/vault/index.ts): reading many
 * numbers for a purpose (the year-end bundles) under the same rules as a
 * reveal, and the cryptographic erase of a cohort (retention).
 */
describe.each(testDatabases())('the vault API on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let office: VaultOffice;
  let company: { id: string };
  let other: { id: string };
  let held2025: PersonRow[];
  let held2026: PersonRow[];
  let elsewhere: PersonRow[];
  const numbers = syntheticMyNumbers(12, 23);
  const numberOf = new Map<string, string>();
  const holder = () => ({ userId: office.keyHolder.id, role: 'staff' as const, sessionId: `s-${office.keyHolder.id}` });
  const audit = (action: string) => t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock: fakeClock('2026-03-02T00:00:00.000Z') });
    office = await makeVaultOffice(t.deps);
    company = await makeCompany(t.deps, '一括読取株式会社');
    other = await makeCompany(t.deps, '別会社株式会社');
    const employees = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ number: numbers[from + i * 2]!, name: `社員 ${from + i}`, employeeCode: `E${from + i}`, dependents: [{ number: numbers[from + i * 2 + 1]!, name: `家族 ${from + i}`, relation: '配偶者' }] }));
    const put = async (companyId: string, cohort: string, list: ReturnType<typeof employees>) => {
      const rows = await putInVault(t.deps, { companyId, cohort, employees: list });
      list.forEach((e, i) => {
        numberOf.set(rows[i * 2]!.id, e.number);
        numberOf.set(rows[i * 2 + 1]!.id, e.dependents[0]!.number);
      });
      return rows;
    };
    held2025 = await put(company.id, '2025', employees(0, 2));
    held2026 = await put(company.id, '2026', employees(4, 2));
    elsewhere = await put(other.id, '2025', employees(8, 2));
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  describe('reading numbers in bulk for a purpose', () => {
    it('a key holder gets every number asked for, and one audit entry names each person, the purpose and no number', async () => {
      const ids = [...held2025, ...held2026].map((p) => p.id);
      const out = await readNumbersForPurpose(t.deps, { companyId: company.id, personIds: ids, actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'withholding-slip' });
      expect(new Map(out.numbers)).toEqual(new Map(ids.map((id) => [id, numberOf.get(id)!])));
      const entries = await audit('vault.read.bulk');
      expect(entries).toHaveLength(1);
      expect(JSON.parse(entries[0]!.target_ids as string).sort()).toEqual([...ids].sort());
      expect(entries[0]!.purpose).toBe('源泉徴収票・支払調書');
      expect(numbersIn(JSON.stringify(entries), numbers)).toEqual([]);
    });

    it('is refused, as a reveal is, to a non-holder (audited), without a statutory purpose, with a wrong passphrase, and for another company’s person', async () => {
      const ids = held2025.map((p) => p.id);
      const plain = { userId: office.plainStaff.id, role: 'staff' as const };
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: ids, actor: plain, passphrase: 'x', purpose: 'withholding-slip' })).rejects.toBeInstanceOf(NotKeyHolder);
      expect((await audit('vault.reveal.denied')).some((e) => e.actor_id === office.plainStaff.id)).toBe(true);
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: ids, actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'marketing' })).rejects.toBeInstanceOf(RevealPurposeRequired);
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: ids, actor: holder(), passphrase: 'wrong passphrase', purpose: 'withholding-slip' })).rejects.toBeInstanceOf(WrongKeyPassphrase);
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: [...ids, elsewhere[0]!.id], actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'withholding-slip' })).rejects.toBeInstanceOf(NotFound);
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: ids, actor: { userId: office.director.id, role: 'client' }, passphrase: PASSPHRASES.director, purpose: 'withholding-slip' })).rejects.toBeInstanceOf(NotFound);
    });

    it('is refused while the reader’s reveals are blocked', async () => {
      const director = { userId: office.director.id, role: 'director' as const };
      await t.deps.db.insertInto('reveal_blocks').values({ user_id: director.userId, blocked_at: t.deps.clock.now().toISOString(), alerted_at: t.deps.clock.now().toISOString(), lifted_at: null, lifted_by: null }).execute();
      try {
        await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: [held2025[0]!.id], actor: director, passphrase: PASSPHRASES.director, purpose: 'withholding-slip' })).rejects.toBeInstanceOf(RevealBlocked);
      } finally {
        await t.deps.db.deleteFrom('reveal_blocks').execute();
      }
    });

    it('a missing record refuses the whole read and is audited as damage', async () => {
      const victim = elsewhere[1]!;
      await t.deps.storage.vault.delete(victim.token);
      await expect(readNumbersForPurpose(t.deps, { companyId: other.id, personIds: elsewhere.map((p) => p.id), actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'salary-report' })).rejects.toBeInstanceOf(VaultRecordDamaged);
      expect((await audit('vault.record.damaged')).filter((e) => e.company_id === other.id)).toHaveLength(1);
    });
  });

  describe('erasing a cohort', () => {
    it('a key holder with the passphrase can no longer reveal or read any number of the cohort; other cohorts are untouched', async () => {
      const director = { userId: office.director.id, role: 'director' as const };
      const tokens = held2025.map((p) => p.token);
      const result = await eraseCohort(t.deps, { companyId: company.id, cohort: '2025', actor: director, requestId: 'req-erase' });
      expect(result).toMatchObject({ cohort: '2025', erasedNow: true, persons: held2025.length, verified: true, dataKeyIds: [held2025[0]!.data_key_id] });
      expect(result.tokens.sort()).toEqual([...tokens].sort());
      expect(result.residue).toContain('database-backups-before-destroyedAt');

      // The ciphertext is still there (its purge is the disposal routine's), but nothing stored opens it any more.
      for (const token of tokens) await expect(t.deps.storage.vault.head(token)).resolves.toMatchObject({ size: 40 });
      const key = await t.deps.db.selectFrom('data_keys').selectAll().where('id', '=', held2025[0]!.data_key_id).executeTakeFirstOrThrow();
      expect(key.wrapped_key).toBeNull();
      const rows = await t.deps.db.selectFrom('persons').selectAll().where('id', 'in', held2025.map((p) => p.id)).execute();
      expect(rows.map((r) => [r.state, r.number_index, r.number_last4])).toEqual(rows.map(() => ['disposed', '', null]));

      for (const p of held2025) {
        await expect(revealNumber(t.deps, { personId: p.id, actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' })).rejects.toBeInstanceOf(VaultRecordDisposed);
      }
      await expect(readNumbersForPurpose(t.deps, { companyId: company.id, personIds: held2025.map((p) => p.id), actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'withholding-slip' })).rejects.toBeInstanceOf(VaultRecordDisposed);
      const still = await revealNumber(t.deps, { personId: held2026[0]!.id, actor: holder(), passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' });
      expect(still.number).toBe(numberOf.get(held2026[0]!.id));
      // Nothing left in the database could test a guess against the erased numbers.
      const cells = (await everyCell(t.deps)).map((c) => c.text).join('\n');
      for (const p of held2025) expect(cells).not.toContain(p.number_index);

      const entries = await audit('vault.cohort.erase');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor_id: director.userId, company_id: company.id, request_id: 'req-erase' });
    });

    it('erasing again verifies and reports the same keys, without a second erase', async () => {
      const again = await eraseCohort(t.deps, { companyId: company.id, cohort: '2025', actor: { userId: office.director.id, role: 'director' } });
      expect(again).toMatchObject({ erasedNow: false, verified: true, dataKeyIds: [held2025[0]!.data_key_id], persons: held2025.length });
      expect(await audit('vault.cohort.erase')).toHaveLength(1);
    });

    it('a client cannot erase, and an unknown cohort is not found', async () => {
      await expect(eraseCohort(t.deps, { companyId: other.id, cohort: '2025', actor: { userId: office.director.id, role: 'client' } })).rejects.toBeInstanceOf(Forbidden);
      await expect(eraseCohort(t.deps, { companyId: other.id, cohort: '1999', actor: { userId: office.director.id, role: 'director' } })).rejects.toBeInstanceOf(NotFound);
    });

    it('an ingest that opened the cohort before its erase cannot commit records under the destroyed key; its records are removed', async () => {
      const officeKey = await unlockOfficeKey(t.deps, office.director.id, PASSPHRASES.director);
      const session = await openVaultSession(t.deps, { companyId: other.id, officeKey, cohort: '2027' });
      try {
        const custody = session.takeCustody([{ key: 'k1', number: numbers[0]! }]);
        await custody.stage([{ key: 'k1', id: 'late-person', name: '遅れ 太郎', relation: '本人' }]);
        await eraseCohort(t.deps, { companyId: other.id, cohort: '2027', actor: { userId: office.director.id, role: 'director' } });
        await expect(t.deps.db.transaction().execute((trx) => custody.commit(trx))).rejects.toThrow(/destroyed/);
        await custody.abandon();
        expect(await t.deps.db.selectFrom('persons').select('id').where('id', '=', 'late-person').execute()).toEqual([]);
        const left: string[] = [];
        for await (const o of t.deps.storage.vault.list('')) left.push(o.key);
        expect(left).toHaveLength(held2025.length + held2026.length + elsewhere.length - 1);
      } finally {
        session.close();
      }
      // A fresh ingest of that year gets a fresh key.
      const again = await openVaultSession(t.deps, { companyId: other.id, officeKey, cohort: '2027' });
      expect(again.dataKeyId).not.toBe(session.dataKeyId);
      again.close();
    });
  });
});
