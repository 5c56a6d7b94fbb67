import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { disposeDueImages } from '../../server/collect/kept-images.js';
import { reportDeparture, setCompanyServices } from '../../server/retention/service.js';
import { eraseCohort } from '../../server/vault/index.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { keptImagesFor } from '../helpers/collected.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * A kept identity image set must not outlive the number it shows (issue 18 §3
 * with retention): when an employee's number is disposed of by a disposal
 * batch, their kept images go in the same run, through the disposal routine,
 * with a record whose reason says why and an audit entry naming the batch —
 * long before the images' own period ends (fake clock). A spouse's disposal
 * leaves the employee's images (the spouse's number is not on them); the
 * vault's cohort erase, which does not run this, is caught by the hourly run.
 */
const DAY = 86_400_000;
const numbers = syntheticMyNumbers(5, 2828);

describe('kept identity images end with the number they show', () => {
  let t: TestApp;
  let clock: ManualClock;
  let office: VaultOffice;
  let companyId: string;
  const p: Record<string, { id: string }> = {};
  const sets: Record<string, Awaited<ReturnType<typeof keptImagesFor>>> = {};

  beforeAll(async () => {
    clock = fakeClock('2026-06-01T00:00:00.000Z');
    t = await makeTestApp({}, { clock });
    office = await makeVaultOffice(t.deps);
    await t.deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute(); // one key holder: an approval runs at once
    companyId = (await makeCompany(t.deps, '画像商事株式会社')).id;
    const by = { userId: office.director.id, role: 'director' as const, requestId: null };
    await setCompanyServices(t.deps, by, { companyId, serviceIds: ['shakai-hoken'] });
    const leaver = await putInVault(t.deps, { companyId, cohort: '2019', employees: [{ name: '退職 一郎', number: numbers[0]!, employeeCode: 'L1', dependents: [{ name: '退職 花子', number: numbers[1]!, relation: '配偶者' }] }] });
    const stays = await putInVault(t.deps, { companyId, cohort: '2025', employees: [{ name: '在職 二郎', number: numbers[2]!, employeeCode: 'S1' }] });
    const erased = await putInVault(t.deps, { companyId, cohort: '2018', employees: [{ name: '消去 三郎', number: numbers[3]!, employeeCode: 'E1' }] });
    p.leaver = leaver.find((x) => x.relation === '本人')!;
    p.spouse = leaver.find((x) => x.relation === '配偶者')!;
    p.stays = stays[0]!;
    p.erased = erased[0]!;
    for (const k of ['leaver', 'stays', 'erased']) sets[k] = await keptImagesFor(t.deps, companyId, office.director.id, p[k]!.id, { days: 90 });
    for (const k of ['leaver', 'spouse']) await reportDeparture(t.deps, by, { companyId, personId: p[k]!.id, on: '2015-03-31', via: 'office' });
    clock.advance(3 * DAY);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const row = (id: string) => t.deps.db.selectFrom('collect_kept_images').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const inDrops = (key: string) => t.deps.storage.drops.head(key).then(() => true, (e: unknown) => (e instanceof StorageNotFoundError ? false : Promise.reject(e)));
  const record = (id: string) => t.deps.db.selectFrom('disposals').selectAll().where('subject_id', '=', id).executeTakeFirst();

  it('when the director disposes of an employee and their spouse, the employee\'s kept images are destroyed in the same run, recorded with the reason and the batch; the others stay', async () => {
    expect(await inDrops(sets.leaver!.storedKey)).toBe(true);
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const csrf = await csrfToken(agent, `/office/companies/${companyId}/disposal`);
    const res = await agent.post(`/office/companies/${companyId}/disposal-batches`).type('form').send({ _csrf: csrf, person: [p.leaver!.id, p.spouse!.id], reason: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director });
    expect(res.status).toBe(303);
    const batchId = res.headers.location!.split('/').pop()!;
    expect((await t.deps.db.selectFrom('disposal_batches').select('state').where('id', '=', batchId).executeTakeFirstOrThrow()).state).toBe('done');

    const gone = await row(sets.leaver!.id);
    expect(gone.state).toBe('disposed');
    expect(gone.keep_until! > clock.now().toISOString()).toBe(true); // their own 90 days had not ended
    expect(await inDrops(sets.leaver!.storedKey)).toBe(false);
    expect(await t.deps.storage.drops.remnants(sets.leaver!.storedKey)).toEqual([]);
    const rec = (await record(sets.leaver!.id))!;
    expect([rec.reason, rec.by_user, rec.verified_at]).toEqual(['collect-images-person-disposed', office.director.id, clock.now().toISOString()]);
    const audit = await t.deps.db.selectFrom('audit_log').select(['details', 'target_ids']).where('action', '=', 'collect.imagesDisposed').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ reason: 'collect-images-person-disposed', batch: batchId });
    expect(audit[0]!.target_ids).toContain(sets.leaver!.id);

    for (const k of ['stays', 'erased']) {
      expect((await row(sets[k]!.id)).state).toBe('kept');
      expect(await inDrops(sets[k]!.storedKey)).toBe(true);
    }
    // Run again (a retry, or the hourly run): nothing found twice, no second record.
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 0, failed: 0 });
    expect(await t.deps.db.selectFrom('disposals').select('id').where('subject_id', '=', sets.leaver!.id).execute()).toHaveLength(1);
  });

  it('when a person is disposed of by a path that does not destroy their images itself (the vault\'s cohort erase), the hourly run does, with the same reason', async () => {
    await eraseCohort(t.deps, { companyId, cohort: '2018', actor: { userId: office.director.id, role: 'director' } });
    expect((await row(sets.erased!.id)).state).toBe('kept');
    clock.advance(60 * 60_000);
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 1, failed: 0 });
    expect((await row(sets.erased!.id)).state).toBe('disposed');
    expect(await inDrops(sets.erased!.storedKey)).toBe(false);
    expect((await record(sets.erased!.id))!.reason).toBe('collect-images-person-disposed');
    expect((await row(sets.stays!.id)).state).toBe('kept');
  });
});
