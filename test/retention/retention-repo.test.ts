import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomId } from '../../server/lib/random.js';
import { DEFAULT_DOCUMENT_TYPES, DEFAULT_SERVICES } from '../../server/retention/catalog.js';
import { loadRules, retentionOfCompany } from '../../server/retention/repo.js';
import { retentionSummary } from '../../server/retention/basis-text.js';
import { makeCompany } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { databaseUrl } from '../vault/arrange.js';

/**
 * Retention rules are data in the office database (migration 0019): seeded
 * from the catalog, corrected by the office, read back for every person.
 * Persons are inserted as bare rows (no number is needed to count dates).
 */
describe.each(testDatabases())('retention rules as data on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let companyId: string;
  const ids = { taro: '', hanako: '', child: '', jiro: '' };

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) });
    companyId = (await makeCompany(t.deps, '保存期間株式会社')).id;
    const now = new Date().toISOString();
    const keyId = randomId(16);
    await t.deps.db.insertInto('data_keys').values({ id: keyId, company_id: companyId, cohort: '2025', wrapped_key: 'x', created_at: now, destroyed_at: null }).execute();
    const person = (name: string, relation: string, code: string, employee: string | null) => {
      const id = randomId(16);
      return { id, row: { id, company_id: companyId, token: randomId(16), data_key_id: keyId, number_index: randomId(16), number_last4: null, name, furigana: null, employee_code: code, relation, employee_person_id: employee, source_drop_id: null, source_sheet: null, source_row: null, cohort: '2025', state: 'held', created_at: now } };
    };
    const taro = person('山田 太郎', '本人', 'E001', null);
    const hanako = person('山田 花子', '配偶者', 'E001', taro.id);
    const child = person('山田 一郎', '扶養親族1', 'E001', taro.id);
    const jiro = person('佐藤 次郎', '本人', 'E002', null);
    await t.deps.db.insertInto('persons').values([taro.row, hanako.row, child.row, jiro.row]).execute();
    Object.assign(ids, { taro: taro.id, hanako: hanako.id, child: child.id, jiro: jiro.id });
    await t.deps.db.insertInto('company_services').values({ company_id: companyId, service_id: 'nencho', set_at: now, set_by: null }).execute();
    await t.deps.db.insertInto('person_retention').values({ person_id: taro.id, left_on: '2026-03-31', left_household_on: null, reported_by: null, reported_at: now, hold_reason: null, hold_by: null, hold_at: null, reserved_on: null, reserved_by: null, reserved_at: null }).execute();
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
    const list = await retentionOfCompany(t.deps.db, companyId);
    const of = (id: string) => list.find((p) => p.personId === id)!.retention;
    expect(of(ids.taro)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(ids.hanako)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(ids.child)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(of(ids.jiro).state).toBe('in-service');
    expect(JSON.stringify(list)).not.toMatch(/\d{12}/);
  });

  it('when the office corrects a period in the database, the dates follow — no code holds the period', async () => {
    await t.deps.db.updateTable('retention_document_types').set({ years: 8 }).where('id', '=', 'fuyo-shinkoku').execute();
    await t.deps.db.updateTable('retention_document_types').set({ confirmed: 1, years: 5 }).where('id', '=', 'gensen-copy').execute();
    const list = await retentionOfCompany(t.deps.db, companyId);
    const taro = list.find((p) => p.personId === ids.taro)!.retention;
    expect(taro).toMatchObject({ state: 'scheduled', from: '2035-01-11', unconfirmed: false });
    expect(retentionSummary(taro)).toBe('2035-01-11 以降に廃棄');
  });
});
