import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_DOCUMENT_TYPES, DEFAULT_SERVICES } from '../../server/retention/catalog.js';
import { loadRules, retentionOfCompany } from '../../server/retention/repo.js';
import { retentionSummary } from '../../server/retention/basis-text.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { databaseUrl } from '../helpers/databases.js';
import { STANDALONE_TWELVE_DIGITS } from '../helpers/mynumber.js';
import { makeHeldFamily, type HeldFamily } from '../helpers/held-family.js';

/** Retention rules are data in the office database (migration 0019): seeded from the catalog, corrected by the office, read back for every person. */
describe.each(testDatabases())('retention rules as data on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let f: HeldFamily;

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) });
    f = await makeHeldFamily(t.deps);
    const now = new Date().toISOString();
    await t.deps.db.insertInto('company_services').values({ company_id: f.companyId, service_id: 'nencho', set_at: now, set_by: null }).execute();
    await t.deps.db.insertInto('person_retention').values({ person_id: f.taro, left_on: '2026-03-31', left_household_on: null, reported_by: null, reported_at: now, hold_reason: null, hold_by: null, hold_at: null, reserved_on: null, reserved_by: null, reserved_at: null }).execute();
  });
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('when the database is new, the rules read back are exactly the catalog kinko ships', async () => {
    const rules = await loadRules(t.deps.db);
    const byId = <T extends { id: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(rules.documents)).toEqual(byId(DEFAULT_DOCUMENT_TYPES));
    expect(rules.services).toEqual(DEFAULT_SERVICES.map((s) => ({ ...s, documents: [...s.documents].sort() })));
  });

  it('when an employee has left, they and their family are scheduled together; who still works has no end date', async () => {
    const list = await retentionOfCompany(t.deps.db, f.companyId);
    const of = (id: string) => list.find((p) => p.personId === id)!.retention;
    expect(of(f.taro)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(f.hanako)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(f.ichiro)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(f.jiro).state).toBe('in-service');
    expect(JSON.stringify(list)).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the office corrects a period in the database, the dates follow — no code holds the period', async () => {
    await t.deps.db.updateTable('retention_document_types').set({ years: 8 }).where('id', '=', 'fuyo-shinkoku').execute();
    await t.deps.db.updateTable('retention_document_types').set({ confirmed: 1, years: 5 }).where('id', '=', 'gensen-copy').execute();
    const list = await retentionOfCompany(t.deps.db, f.companyId);
    const taro = list.find((p) => p.personId === f.taro)!.retention;
    expect(taro).toMatchObject({ state: 'scheduled', from: '2035-01-11', unconfirmed: false });
    expect(retentionSummary(taro)).toBe('2035-01-11 以降に廃棄');
  });
});
