import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  StorageKeyError,
  StorageUrlError,
  createLocalAdapter,
  openSignedDownload,
  type StorageAdapter,
} from '../../storage-adapters/index.js';
import { runStorageConformance } from './conformance.js';
import { localHarness, startDownloadServer, type DownloadServer } from './local-download-server.js';
import { readText } from './streams.js';

const SECRET = 'test-secret-'.padEnd(44, 'k');
const here = path.dirname(fileURLToPath(import.meta.url));

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-local-'));
}

runStorageConformance('local folder', () => localHarness((root, baseUrl) => createLocalAdapter({ name: 'drops', root, signingSecret: SECRET, baseUrl })));

describe('local folder storage', () => {
  let dir: string;
  let root: string;
  let outside: string;
  let server: DownloadServer;
  let drops: StorageAdapter;
  let vault: StorageAdapter;
  const put = (a: StorageAdapter, key: string, text: string) => a.put(key, Readable.from([Buffer.from(text)]));

  beforeAll(async () => {
    dir = tempDir();
    root = path.join(dir, 'drops');
    outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not kinko data');
    server = await startDownloadServer();
    drops = createLocalAdapter({ name: 'drops', root, signingSecret: SECRET, baseUrl: server.baseUrl });
    vault = createLocalAdapter({ name: 'vault', root: path.join(dir, 'vault'), signingSecret: SECRET, baseUrl: server.baseUrl });
    server.adapters.push(drops, vault);
    await drops.check();
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when a folder inside the root is a symlink, then puts and reads through it are refused', async () => {
    fs.symlinkSync(outside, path.join(root, 'linked-dir'));
    await expect(put(drops, 'linked-dir/planted.txt', 'x')).rejects.toBeInstanceOf(StorageKeyError);
    expect(fs.existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    await expect(drops.get('linked-dir/secret.txt')).rejects.toBeInstanceOf(StorageKeyError);
    await expect(drops.head('linked-dir/secret.txt')).rejects.toBeInstanceOf(StorageKeyError);
  });

  it('when an object inside the root is a symlink, then get, head, put and download refuse it and list skips it', async () => {
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'linked-file'));
    await expect(drops.get('linked-file')).rejects.toBeInstanceOf(StorageKeyError);
    await expect(drops.head('linked-file')).rejects.toBeInstanceOf(StorageKeyError);
    await expect(put(drops, 'linked-file', 'overwrite?')).rejects.toBeInstanceOf(StorageKeyError);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('not kinko data');
    const res = await fetch(await drops.downloadUrl('linked-file', 60));
    expect(res.status).not.toBe(200);
    const keys: string[] = [];
    for await (const o of drops.list('')) keys.push(o.key);
    expect(keys).not.toContain('linked-file');
    expect(keys.some((k) => k.startsWith('linked-dir'))).toBe(false);
  });

  it('when a traversal key is refused, then nothing appears outside the root', async () => {
    await expect(put(drops, '../escaped', 'x')).rejects.toBeInstanceOf(StorageKeyError);
    expect(fs.existsSync(path.join(dir, 'escaped'))).toBe(false);
  });

  it('when a put crashes (SIGKILL) mid-stream, then its temp file shows in remnants and delete removes it', async () => {
    const key = 'crashed/upload-1';
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'crash-put.ts'), root, key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tmpDir = path.join(root, '.tmp');
    const until = Date.now() + 20_000;
    const hasBytes = () => fs.readdirSync(tmpDir).some((n) => fs.statSync(path.join(tmpDir, n)).size > 0);
    while (!hasBytes() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const remnants = await drops.remnants(key);
    expect(remnants).toHaveLength(1);
    expect(remnants[0]).toMatch(/^\.tmp\//);
    await expect(drops.head(key)).rejects.toThrow();
    await drops.delete(key);
    expect(await drops.remnants(key)).toEqual([]);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  }, 30_000);

  it('when a signed URL for one location is replayed against another, then it is refused', async () => {
    await put(drops, 'same-key', 'drops copy');
    await put(vault, 'same-key', 'vault copy');
    const url = new URL(await drops.downloadUrl('same-key', 60));
    const d = await openSignedDownload({ drops, vault }, url.pathname, url.searchParams);
    expect(await readText(d.stream)).toBe('drops copy');
    const spliced = url.pathname.replace('/files/drops/', '/files/vault/');
    await expect(openSignedDownload({ drops, vault }, spliced, url.searchParams)).rejects.toBeInstanceOf(StorageUrlError);
  });

  it('when a signed URL path is malformed or traverses, then it is refused before any file is opened', async () => {
    const url = new URL(await drops.downloadUrl('same-key', 60));
    for (const p of ['/files/drops/../outside/secret.txt', '/files/drops/%2e%2e/x', '/files/nowhere/same-key', '/other/drops/same-key']) {
      await expect(openSignedDownload([drops], p, url.searchParams)).rejects.toBeInstanceOf(StorageUrlError);
    }
    const noSig = new URLSearchParams({ exp: url.searchParams.get('exp')! });
    await expect(openSignedDownload([drops], url.pathname, noSig)).rejects.toBeInstanceOf(StorageUrlError);
  });

  it('when the clock passes the expiry, then the URL is refused; just before, it opens', async () => {
    const url = new URL(await drops.downloadUrl('same-key', 30));
    const exp = Number(url.searchParams.get('exp')) * 1000;
    const d = await openSignedDownload([drops], url.pathname, url.searchParams, exp);
    d.stream.destroy();
    await expect(openSignedDownload([drops], url.pathname, url.searchParams, exp + 1000)).rejects.toThrow('expired');
  });

  it('when the signing secret is short, then the adapter refuses to start', () => {
    expect(() => createLocalAdapter({ name: 'drops', root, signingSecret: 'short', baseUrl: 'http://x' })).toThrow(/32 characters/);
  });
});
