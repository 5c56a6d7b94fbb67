import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateBucketCommand, PutObjectLegalHoldCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { approveBatch, finishBatch } from '../../server/disposal-batches/batch.js';
import { reportDeparture, setCompanyServices } from '../../server/retention/service.js';
import { revealNumber, type PersonRow } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { describeWith } from '../helpers/requires.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';
import { createTestBucket } from '../storage/s3-bucket.js';

/**
 * A bucket that refuses a delete (issue 14, bad input and faults): the vault
 * bucket on moto has S3 Object Lock, and one leaver's record is under a legal
 * hold, so S3 answers AccessDenied to deleting it. The director's approval
 * then ends in a plain Japanese message, nothing is recorded or certified,
 * and the batch waits where it was; once the hold is lifted, "carry on"
 * completes it and issues the certificates.
 */
describeWith('KINKO_TEST_MOTO_ENDPOINT', 'moto (S3)')('a disposal whose delete the bucket refuses', () => {
  let t: TestApp;
  let s3: S3Client;
  let bucket: string;
  let office: VaultOffice;
  let companyId: string;
  let leavers: PersonRow[];
  let stayer: PersonRow;
  const numbers = syntheticMyNumbers(3, 8383);

  beforeAll(async () => {
    const endpoint = process.env.KINKO_TEST_MOTO_ENDPOINT!;
    const drops = await createTestBucket(endpoint, { versioning: true });
    bucket = `kinko-test-lock-${randomBytes(5).toString('hex')}`;
    s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: drops.accessKeyId, secretAccessKey: drops.secretAccessKey } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    t = await makeTestApp({
      KINKO_STORAGE: 's3', KINKO_S3_ENDPOINT: endpoint, KINKO_S3_REGION: 'us-east-1', KINKO_S3_DROPS_BUCKET: drops.bucket, KINKO_S3_VAULT_BUCKET: bucket,
      KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles-unused', KINKO_S3_ACCESS_KEY_ID: drops.accessKeyId, KINKO_S3_SECRET_ACCESS_KEY: drops.secretAccessKey, KINKO_S3_FORCE_PATH_STYLE: 'true',
    });
    office = await makeVaultOffice(t.deps);
    await t.deps.db.deleteFrom('key_copies').where('user_id', '!=', office.director.id).execute();
    companyId = (await makeCompany(t.deps, '保全商事株式会社')).id;
    const by = { userId: office.director.id, role: 'director' as const, requestId: null };
    await setCompanyServices(t.deps, by, { companyId, serviceIds: ['shakai-hoken'] });
    leavers = await putInVault(t.deps, { companyId, cohort: '2019', employees: [0, 1].map((i) => ({ name: `保全 ${i}郎`, number: numbers[i]!, employeeCode: `H${i}` })) });
    [stayer] = await putInVault(t.deps, { companyId, cohort: '2025', employees: [{ name: '在職 太郎', number: numbers[2]!, employeeCode: 'S1' }] });
    for (const p of leavers) await reportDeparture(t.deps, by, { companyId, personId: p.id, on: '2015-03-31', via: 'office' });
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await t?.close();
  });

  const director = () => ({ userId: office.director.id, role: 'director' as const, requestId: null });

  it('when one record is under a legal hold, the approval says the storage refused the delete, nothing is recorded or certified, and once the hold is lifted the batch completes', async () => {
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: leavers[0]!.token, LegalHold: { Status: 'ON' } }));
    const refused = await approveBatch(t.deps, director(), { companyId, personIds: leavers.map((p) => p.id), reasonCode: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ messageKey: 'retention.batch.errors.deleteRefused' });
    expect(t.deps.i18n.t('retention.batch.errors.deleteRefused', { lng: 'ja' })).toMatch(/削除/);
    const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().executeTakeFirstOrThrow();
    expect(batch.state).not.toBe('done');
    expect(await t.deps.db.selectFrom('disposals').select('id').where('subject_id', '=', batch.id).execute()).toEqual([]);
    expect(await t.deps.db.selectFrom('disposal_certificates').select('id').execute()).toEqual([]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'retention.disposal').execute()).toEqual([]);
    const held = await t.deps.db.selectFrom('persons').select('state').where('id', 'in', leavers.map((p) => p.id)).execute();
    expect(held.every((p) => p.state !== 'disposed')).toBe(true);

    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: leavers[0]!.token, LegalHold: { Status: 'OFF' } }));
    const done = await finishBatch(t.deps, director(), { batchId: batch.id, passphrase: PASSPHRASES.director });
    expect(done).toMatchObject({ state: 'done', certified: true });
    for (const p of leavers) expect(await t.deps.storage.vault.remnants(p.token)).toEqual([]);
    expect((await revealNumber(t.deps, { personId: stayer.id, actor: { userId: office.director.id, role: 'director' }, passphrase: PASSPHRASES.director, purpose: 'health-pension' })).number).toBe(numbers[2]);
  }, 90_000);
});
