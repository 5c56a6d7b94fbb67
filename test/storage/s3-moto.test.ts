/**
 * The conformance suite against moto (started by jest globalSetup) with
 * versioning ENABLED, so delete must remove every version and delete marker.
 * A small page size forces paging in list and in the version listings.
 */
import { createS3Adapter } from '../../storage-adapters/s3.js';
import { describeWith } from '../helpers/requires.js';
import { runStorageConformance } from './conformance.js';
import { createTestBucket } from './s3-bucket.js';

runStorageConformance(
  'S3 on moto (versioned bucket)',
  async () => {
    const endpoint = process.env.KINKO_TEST_MOTO_ENDPOINT!;
    const b = await createTestBucket(endpoint, { versioning: true });
    const adapter = createS3Adapter({
      name: 'drops',
      bucket: b.bucket,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      accessKeyId: b.accessKeyId,
      secretAccessKey: b.secretAccessKey,
      pageSize: 3,
    });
    return { adapter, cleanup: async () => adapter.close() };
  },
  {
    versioned: true,
    // moto serves presigned URLs without checking them; the s3rver suite
    // checks expiry against the same presigner, the local suite both.
    urlChecksMissing: {
      expiry: 'moto does not check X-Amz-Expires on presigned URLs',
      signature: 'moto does not verify presigned URL signatures',
    },
    describe: describeWith('KINKO_TEST_MOTO_ENDPOINT', 'moto S3 server'),
  },
);
