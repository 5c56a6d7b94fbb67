import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { approveBatch } from '../../server/disposal-batches/batch.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { randomId } from '../../server/lib/random.js';
import { setCompanyServices } from '../../server/retention/service.js';
import { openVaultSession } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, type VaultOffice } from '../helpers/vault-office.js';

/**
 * A disposal batch as large as a real client's cohort. SQLite takes at most
 * 32,766 parameters in one statement: the batch's people and the disposal
 * record's objects (4 and 6 columns a row) overran it from 8,192 people on,
 * and a director approving a whole cohort got an error page (found by
 * bench/disposal at 25,000). 9,000 people here: every one disposed, one key
 * destroyed, one record of 9,000 objects, both certificates.
 */
const PEOPLE = 9000;

let t: TestApp;
let office: VaultOffice;
let companyId: string;
const ids: string[] = [];

beforeAll(async () => {
  t = await makeTestApp();
  office = await makeVaultOffice(t.deps);
  await t.deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute();
  companyId = (await makeCompany(t.deps, '大口商事株式会社')).id;
  const by = { userId: office.director.id, role: 'director' as const, requestId: null };
  await setCompanyServices(t.deps, by, { companyId, serviceIds: ['shakai-hoken'] });
  const numbers = syntheticMyNumbers(PEOPLE, 9191);
  const officeKey = await unlockOfficeKey(t.deps, office.director.id, PASSPHRASES.director);
  const session = await openVaultSession(t.deps, { companyId, officeKey, cohort: '2019' });
  try {
    const custody = session.takeCustody(numbers.map((number, i) => ({ key: String(i), number })));
    const persons = numbers.map((_, i) => ({ key: String(i), id: randomId(), name: `大口 ${i}`, employeeCode: `L${i}`, relation: '本人' }));
    await custody.stage(persons);
    await t.deps.db.transaction().execute((trx) => custody.commit(trx));
    ids.push(...persons.map((p) => p.id));
  } finally {
    session.close();
  }
  const now = t.deps.clock.now().toISOString();
  for (let i = 0; i < ids.length; i += 1000) {
    await t.deps.db.insertInto('person_retention').values(ids.slice(i, i + 1000).map((person_id) => ({ person_id, left_on: '2015-03-31', reported_by: office.director.id, reported_at: now }))).execute();
  }
}, 120_000);
afterAll(async () => {
  await t?.close();
});

it('when the director disposes of a cohort of 9,000 people at once, then all of them are disposed by crypto-erase, one record names every object, and both certificates are issued', async () => {
  const out = await approveBatch(t.deps, { userId: office.director.id, role: 'director', requestId: null }, { companyId, personIds: ids, reasonCode: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director });
  expect(out).toMatchObject({ state: 'done', certified: true });
  const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().where('id', '=', out.batchId).executeTakeFirstOrThrow();
  expect(batch.method).toBe('crypto-erase');
  const left = await t.deps.db.selectFrom('persons').select('id').where('company_id', '=', companyId).where('state', '!=', 'disposed').execute();
  expect(left).toEqual([]);
  const record = await t.deps.db.selectFrom('disposals').select(['id', 'verification']).where('subject_id', '=', out.batchId).executeTakeFirstOrThrow();
  expect(record.verification).toBe('remnants-empty-by-store-listing');
  const objects = await t.deps.db.selectFrom('disposal_objects').select('object_key').where('disposal_id', '=', record.id).execute();
  expect(objects).toHaveLength(PEOPLE);
  let vault = 0;
  for await (const _ of t.deps.storage.vault.list()) vault++;
  expect(vault).toBe(0);
  expect(await t.deps.db.selectFrom('disposal_certificates').select('copy').where('batch_id', '=', out.batchId).orderBy('copy').execute()).toEqual([{ copy: 'client' }, { copy: 'office' }]);
}, 180_000);
