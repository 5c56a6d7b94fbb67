/**
 * When a version listing fails on the server's side once — moto under a full
 * test run answered some with an HTML error page, and real S3 answers an
 * occasional 500/503 — disposal asks again instead of giving up with the
 * object's copies unverified. A proxy in front of moto answers the first three
 * listings of each kind (as many as the SDK's own retries) with a 500 HTML
 * page; everything else passes through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createS3Adapter } from '../../storage-adapters/s3.js';
import { describeWith } from '../helpers/requires.js';
import { createTestBucket } from './s3-bucket.js';

const describeMoto = describeWith('KINKO_TEST_MOTO_ENDPOINT', 'moto S3 server');

describeMoto('S3 listings on a passing server error', () => {
  let proxy: http.Server;
  let proxyUrl = '';
  const failed: string[] = [];
  const failures = (kind: string) => failed.filter((k) => k === kind).length;

  beforeAll(async () => {
    const target = new URL(process.env.KINKO_TEST_MOTO_ENDPOINT!);
    proxy = http.createServer((req, res) => {
      const kind = /[?&](versions|uploads)(=|&|$)/.exec(req.url ?? '')?.[1];
      if (req.method === 'GET' && kind && failures(kind) < 3) {
        failed.push(kind);
        res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>');
        return;
      }
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => proxy.close(() => r())));

  it('when the first three version and upload listings answer 500 with an HTML page, delete still removes every copy and says so', async () => {
    const b = await createTestBucket(process.env.KINKO_TEST_MOTO_ENDPOINT!, { versioning: true });
    const adapter = createS3Adapter({
      name: 'vault', bucket: b.bucket, region: 'us-east-1', endpoint: proxyUrl, forcePathStyle: true,
      accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey,
    });
    try {
      await adapter.put('k1', Readable.from([Buffer.from('first')]));
      await adapter.put('k1', Readable.from([Buffer.from('second')]));
      await adapter.delete('k1');
      expect([failures('versions'), failures('uploads')]).toEqual([3, 3]);
      await expect(adapter.head('k1')).rejects.toThrow(/no such object/);
      const left: string[] = [];
      for await (const o of adapter.list('')) left.push(o.key);
      expect(left).toEqual([]);
    } finally {
      await adapter.close();
    }
  });
});
