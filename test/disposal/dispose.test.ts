import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findDisposal } from '../../server/disposal/repo.js';
import { dispose, type DisposalRequest } from '../../server/disposal/service.js';
import { DisposalNotVerified } from '../../server/disposal/errors.js';
import { makeCompany } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';

/**
 * The disposal routine on its own, as retention will call it: several vault
 * objects (many at once) disposed of as one subject. The record is written
 * only after every object is verified gone, and holds exactly those objects.
 */
describe.each(testDatabases())('one disposal routine (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let companyId: string;

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    companyId = (await makeCompany(t.deps)).id;
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  function request(keys: string[], subjectId: string, within: DisposalRequest['within'] = async () => true): DisposalRequest {
    return {
      subject: { kind: 'cohort', id: subjectId },
      companyId,
      reason: 'retention-expired',
      objects: keys.map((key) => ({ location: 'vault', key, sha256: null, size: 3 })),
      by: { userId: null, role: null },
      audit: { action: 'test.dispose', purpose: 'test', targetIds: [subjectId], details: { objects: keys.length } },
      notVerifiedMessage: 'ingestFlow.errors.disposalNotVerified',
      within,
    };
  }

  it('deletes every object, verifies each, and records exactly them once', async () => {
    const keys = ['tok-a', 'tok-b', 'tok-c'];
    await t.deps.storage.vault.createMany(keys.map((key) => ({ key, bytes: new Uint8Array([1, 2, 3]) })));

    expect(await dispose(t.deps, request(keys, 'cohort-1'))).toBe(true);

    for (const k of keys) expect(await t.deps.storage.vault.remnants(k)).toEqual([]);
    const rec = await findDisposal(t.deps.db, { kind: 'cohort', id: 'cohort-1' });
    expect(rec).toMatchObject({ companyId, reason: 'retention-expired', method: 'storage-delete-all-versions', verification: 'remnants-empty-and-head-not-found' });
    expect(rec!.objects.map((o) => [o.location, o.key, o.backend])).toEqual(keys.map((k) => ['vault', k, t.deps.storage.vault.kind]));
    const audit = await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'test.dispose').execute();
    expect(audit).toHaveLength(1);
  });

  it('when the caller finds it already done, nothing is recorded a second time', async () => {
    expect(await dispose(t.deps, request(['tok-a'], 'cohort-1', async () => false))).toBe(false);
    const n = await t.deps.db.selectFrom('disposals').select('id').where('subject_id', '=', 'cohort-1').execute();
    expect(n).toHaveLength(1);
  });

  it('when an object is still there after the delete, no record is written and the caller state is untouched', async () => {
    await t.deps.storage.vault.createMany([{ key: 'tok-stuck', bytes: new Uint8Array([9]) }]);
    const store = t.deps.storage.vault;
    const realDelete = store.delete.bind(store);
    let within = 0;
    store.delete = async () => {};
    try {
      await expect(dispose(t.deps, request(['tok-stuck'], 'cohort-2', async () => (within++, true)))).rejects.toBeInstanceOf(DisposalNotVerified);
    } finally {
      store.delete = realDelete;
    }
    expect(within).toBe(0);
    expect(await findDisposal(t.deps.db, { kind: 'cohort', id: 'cohort-2' })).toBeNull();
  });
});
