import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { resealPersons, revealNumber, type PersonRow } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * One damaged record does not stop the others from moving into their
 * disposal month's key, and it is not lost or changed: that person stays in
 * their cohort, under their token, with an error line naming only their id.
 */
let t: TestApp;
let office: VaultOffice;
let companyId: string;
let rows: PersonRow[];
const numbers = syntheticMyNumbers(3, 4747);

beforeAll(async () => {
  t = await makeTestApp();
  office = await makeVaultOffice(t.deps);
  companyId = (await makeCompany(t.deps, '破損商事株式会社')).id;
  rows = await putInVault(t.deps, { companyId, cohort: '2026', employees: numbers.map((number, i) => ({ name: `破損 ${i}郎`, number, employeeCode: `D${i}` })) });
  // the middle record's bytes replaced by others of the same size
  await t.deps.storage.vault.delete(rows[1]!.token);
  await t.deps.storage.vault.createMany([{ key: rows[1]!.token, bytes: crypto.randomBytes(40) }]);
});
afterAll(async () => {
  await t?.close();
});

it('when one of three records cannot be read, the other two move and still reveal, and the damaged one stays exactly as it was', async () => {
  const officeKey = await unlockOfficeKey(t.deps, office.director.id, PASSPHRASES.director);
  const out = await resealPersons(t.deps, { companyId, moves: rows.map((r) => ({ personId: r.id, cohort: 'end-2028-04' })), officeKey, actor: { userId: office.director.id, role: 'director' } });
  expect(out).toEqual({ moved: 2 });
  const now = await t.deps.db.selectFrom('persons').select(['id', 'token', 'cohort']).where('company_id', '=', companyId).execute();
  const of = (id: string) => now.find((p) => p.id === id)!;
  expect(of(rows[1]!.id)).toEqual({ id: rows[1]!.id, token: rows[1]!.token, cohort: '2026' });
  for (const i of [0, 2]) {
    expect(of(rows[i]!.id).cohort).toBe('end-2028-04');
    const r = await revealNumber(t.deps, { personId: rows[i]!.id, actor: { userId: office.director.id, role: 'director' }, passphrase: PASSPHRASES.director, purpose: 'health-pension' });
    expect(r.number).toBe(numbers[i]);
  }
  expect(t.logs.text).toContain(rows[1]!.id);
  expect(t.logs.text).toContain('reseal: a vault record could not be read');
});
