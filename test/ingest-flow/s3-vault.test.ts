import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Actor } from '../../server/http/policies.js';
import * as ingestRepo from '../../server/ingest/repo.js';
import { ingestRuntime } from '../../server/ingest/runtime.js';
import { confirmIngest, startIngest } from '../../server/ingest/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { describeWith } from '../helpers/requires.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { createTestBucket } from '../storage/s3-bucket.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, vaultKeys, type Office, type Person } from '../helpers/ingest-office.js';

/**
 * The ingest commit with the scaled deployment's vault, an S3 bucket (moto,
 * versioned): its records are written before the database transaction (a
 * slow bucket must not hold the transaction open), and a commit that fails
 * afterwards takes every record it wrote out of the bucket again.
 */
describeWith('KINKO_TEST_MOTO_ENDPOINT', 'moto (S3)')('ingest commit with the vault on S3', () => {
  let t: TestApp;
  let office: Office;
  let actor: Actor;
  const numbers = syntheticMyNumbers(8, 777);
  const people: Person[] = [
    { code: 'S001', name: '青木 一郎', kana: 'アオキ イチロウ', number: numbers[0]!, spouse: { name: '青木 花子', number: numbers[1]! } },
    { code: 'S002', name: '石井 次郎', kana: 'イシイ ジロウ', number: numbers[2]! },
  ];
  const none = { exclude: new Set<string>(), repair: new Set<string>() };

  beforeAll(async () => {
    const endpoint = process.env.KINKO_TEST_MOTO_ENDPOINT!;
    const drops = await createTestBucket(endpoint, { versioning: true });
    const vault = await createTestBucket(endpoint, { versioning: true });
    t = await makeTestApp({
      KINKO_STORAGE: 's3',
      KINKO_S3_ENDPOINT: endpoint,
      KINKO_S3_REGION: 'us-east-1',
      KINKO_S3_DROPS_BUCKET: drops.bucket,
      KINKO_S3_VAULT_BUCKET: vault.bucket,
      KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles-unused',
      KINKO_S3_ACCESS_KEY_ID: vault.accessKeyId,
      KINKO_S3_SECRET_ACCESS_KEY: vault.secretAccessKey,
      KINKO_S3_FORCE_PATH_STYLE: 'true',
    });
    office = await arrangeOffice(t.deps);
    actor = { userId: office.director.id, role: 'director', sessionId: 'test-session' };
  });
  afterAll(async () => {
    await t?.close();
  });

  async function startAndPreview(roster: Person[]) {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(roster)));
    const { jobId } = await startIngest(t.deps, actor, drop.id, DIRECTOR.keyPassphrase);
    const job = (await ingestRepo.findJob(t.deps.db, jobId))!;
    const entry = ingestRuntime(t.deps).cache.get(jobId, job.attempt)!;
    return { drop, jobId, version: entry.version };
  }

  it('when a roster is confirmed, then each person has exactly one record in the bucket and the original is gone from the drops bucket', async () => {
    const before = new Set(await vaultKeys(t.deps));
    const { drop, jobId, version } = await startAndPreview(people);
    const out = await confirmIngest(t.deps, actor, jobId, { ...none, version });
    expect(out).toMatchObject({ counts: { personsAdded: 3 }, destroyed: true });
    const rows = await t.deps.db.selectFrom('persons').select(['token']).where('source_drop_id', '=', drop.id).execute();
    const added = (await vaultKeys(t.deps)).filter((k) => !before.has(k));
    expect(new Set(added)).toEqual(new Set(rows.map((r) => r.token)));
    expect(added).toHaveLength(3);
    expect(await t.deps.storage.drops.remnants(drop.storedKey)).toEqual([]);
  });

  it('when the commit fails after the records were written, then none of them stays in the bucket, no person is added and the drop can be ingested again', async () => {
    const before = await vaultKeys(t.deps);
    // A name cell holding a My Number: the last check before the database refuses the whole insert (P3).
    const roster: Person[] = [
      { code: 'S010', name: '上田 三郎', kana: 'ウエダ サブロウ', number: numbers[4]! },
      { code: 'S011', name: `番号 ${numbers[6]!}`, kana: 'バンゴウ', number: numbers[5]! },
    ];
    const { drop, jobId, version } = await startAndPreview(roster);
    await expect(confirmIngest(t.deps, actor, jobId, { ...none, version })).rejects.toMatchObject({ messageKey: 'ingestFlow.errors.numberInText' });
    expect(await vaultKeys(t.deps)).toEqual(before);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute()).toEqual([]);
    const dropRow = await t.deps.db.selectFrom('drops').select('state').where('id', '=', drop.id).executeTakeFirstOrThrow();
    expect(dropRow.state).toBe('received');
    expect((await t.deps.storage.drops.head(drop.storedKey)).size).toBe(drop.size);
  });
});
