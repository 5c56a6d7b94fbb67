/**
 * The smallest HTTP server that serves local signed download URLs the way the
 * app route will: openSignedDownload, then stream. Lets the conformance suite
 * fetch local URLs with global fetch like presigned S3 ones.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import {
  StorageNotFoundError,
  StorageUrlError,
  contentDisposition,
  openSignedDownload,
  type StorageAdapter,
} from '../../storage-adapters/index.js';

export interface DownloadServer {
  baseUrl: string;
  /** Adapters the server may serve from (filled in after they are built with baseUrl). */
  adapters: StorageAdapter[];
  close: () => Promise<void>;
}

export async function startDownloadServer(): Promise<DownloadServer> {
  const adapters: StorageAdapter[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const d = await openSignedDownload(adapters, url.pathname, url.searchParams);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': d.size,
        'content-disposition': contentDisposition(d.filename),
      });
      await pipeline(d.stream, res);
    } catch (e) {
      const status = e instanceof StorageUrlError ? 403 : e instanceof StorageNotFoundError ? 404 : 500;
      if (!res.headersSent) res.writeHead(status).end(status === 500 ? String(e) : '');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    adapters,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A conformance harness for an adapter in a local folder: a temp folder, the
 * download server its URLs point at, and the clean-up of both.
 */
export async function localHarness(make: (root: string, baseUrl: string) => StorageAdapter): Promise<{ adapter: StorageAdapter; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-local-'));
  const server = await startDownloadServer();
  const adapter = make(path.join(dir, 'store'), server.baseUrl);
  server.adapters.push(adapter);
  return {
    adapter,
    cleanup: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
