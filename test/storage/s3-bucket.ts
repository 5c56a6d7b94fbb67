/**
 * Creates a fresh bucket on a real S3-protocol server (moto, s3rver) for one
 * test file. Plain SDK calls against the server: nothing is mocked.
 */
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';

export interface TestBucket {
  bucket: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export async function createTestBucket(
  endpoint: string,
  opts: { versioning: boolean; accessKeyId?: string; secretAccessKey?: string },
): Promise<TestBucket> {
  const accessKeyId = opts.accessKeyId ?? 'kinko-test';
  const secretAccessKey = opts.secretAccessKey ?? 'kinko-test-secret';
  const bucket = `kinko-test-${randomBytes(5).toString('hex')}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    if (opts.versioning) {
      await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    }
  } finally {
    client.destroy();
  }
  return { bucket, endpoint, accessKeyId, secretAccessKey };
}
