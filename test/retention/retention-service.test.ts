import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Acting } from '../../server/accounts/acting.js';
import { verifyAudit } from '../../server/audit/verify.js';
import { createI18n } from '../../server/i18n/i18n.js';
import { AppError } from '../../server/http/errors.js';
import { retentionOfCompany } from '../../server/retention/repo.js';
import { bookDisposal, reportDeparture, setCompanyServices, setContractEnd, setHold } from '../../server/retention/service.js';
import { makeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { databaseUrl } from '../helpers/databases.js';
import { makeHeldFamily, type HeldFamily } from '../helpers/held-family.js';

const TODAY = new Date('2026-12-02T03:00:00Z'); // 12:00 in Japan

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof AppError)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e.messageKey;
}

describe.each(testDatabases())('recording what ends the need for a number, on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let f: HeldFamily;
  let other: HeldFamily;
  let staff: Acting;

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock: { now: () => TODAY } });
    f = await makeHeldFamily(t.deps);
    other = await makeHeldFamily(t.deps, '別会社株式会社');
    staff = { userId: (await makeUser(t.deps, { role: 'staff' })).id, role: 'staff', requestId: 'req-retention-1' };
  });
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  const retention = async (id: string) => (await retentionOfCompany(t.deps.db, f.companyId)).find((p) => p.personId === id)!.retention;

  it('when staff set the services and record that an employee left, the family is scheduled and each change is in the audit trail', async () => {
    await setCompanyServices(t.deps, staff, { companyId: f.companyId, serviceIds: ['nencho', 'rodo-hoken'] });
    await reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.taro, kind: 'left', on: '2026-03-31', via: 'office' });
    expect(await retention(f.taro)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    expect(await retention(f.ichiro)).toMatchObject({ state: 'scheduled', from: '2034-01-11' });
    const trail = await t.deps.db.selectFrom('audit_log').select(['action', 'actor_id', 'request_id', 'target_ids', 'details']).where('action', 'like', 'retention.%').orderBy('seq').execute();
    expect(trail.map((r) => r.action)).toEqual(['retention.services', 'retention.departure']);
    expect(trail[1]).toMatchObject({ actor_id: staff.userId, request_id: 'req-retention-1', target_ids: JSON.stringify([f.taro]) });
    expect(JSON.stringify(trail)).not.toContain('山田');
    expect((await verifyAudit(t.deps.db, t.deps.secrets.audit)).ok).toBe(true);
  });

  it('when a leaving date is in the future, it is refused with a plain message and nothing is recorded', async () => {
    expect(await refusal(reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.jiro, kind: 'left', on: '2026-12-03', via: 'room' }))).toBe('retention.errors.futureDate');
    const i18n = await createI18n();
    expect(i18n.getFixedT('ja')('retention.errors.futureDate')).toMatch(/^未来の日付は登録できません/);
    expect(i18n.getFixedT('en')('retention.errors.futureDate')).toMatch(/^A date in the future cannot be recorded/);
    expect((await retention(f.jiro)).state).toBe('in-service');
  });

  it("when the person belongs to another company, it is not found — the same answer as an unknown id", async () => {
    expect(await refusal(reportDeparture(t.deps, staff, { companyId: f.companyId, personId: other.taro, kind: 'left', on: '2026-03-31', via: 'room' }))).toBe('errors.notFound');
  });

  it('when the kind does not fit the relation, it is refused', async () => {
    expect(await refusal(reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.hanako, kind: 'left', on: '2026-03-31', via: 'office' }))).toBe('retention.errors.leftIsForEmployees');
    expect(await refusal(reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.jiro, kind: 'left-household', on: '2026-03-31', via: 'office' }))).toBe('retention.errors.householdIsForFamily');
  });

  it('when a disposal is booked before the statutory end, or for someone still employed, it is refused; a later date is kept', async () => {
    expect(await refusal(bookDisposal(t.deps, staff, { companyId: f.companyId, personId: f.taro, on: '2033-12-31' }))).toBe('retention.errors.beforeStatutory');
    expect(await refusal(bookDisposal(t.deps, staff, { companyId: f.companyId, personId: f.jiro, on: '2040-01-01' }))).toBe('retention.errors.stillNeeded');
    await bookDisposal(t.deps, staff, { companyId: f.companyId, personId: f.taro, on: '2034-03-31' });
    expect(await retention(f.taro)).toMatchObject({ state: 'scheduled', from: '2034-03-31' });
  });

  it('when a hold is set, the person shows it; when lifted, it is gone', async () => {
    expect(await refusal(setHold(t.deps, staff, { companyId: f.companyId, personId: f.taro, reason: '  ' }))).toBe('retention.errors.holdReason');
    await setHold(t.deps, staff, { companyId: f.companyId, personId: f.taro, reason: '労基署調査のため' });
    expect((await retention(f.taro)).hold).toEqual({ reason: '労基署調査のため' });
    await setHold(t.deps, staff, { companyId: f.companyId, personId: f.taro, reason: null });
    expect((await retention(f.taro)).hold).toBeNull();
  });

  it('when the contract ends, everyone of the company is scheduled from the next day', async () => {
    expect(await refusal(setCompanyServices(t.deps, staff, { companyId: f.companyId, serviceIds: ['no-such-service'] }))).toBe('retention.errors.unknownService');
    await setContractEnd(t.deps, staff, { companyId: f.companyId, on: '2027-03-31' });
    expect(await retention(f.jiro)).toMatchObject({ state: 'scheduled', from: '2027-04-01' });
  });
});
