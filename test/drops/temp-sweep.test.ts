import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createSession } from '../../server/auth/sessions.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import { TEMP_IDLE_MS } from '../../server/drops/reconcile.js';
import { createLogger } from '../../server/log/logger.js';
import { createLocalAdapter } from '../../storage-adapters/local.js';
import { freePort } from '../helpers/servers.js';
import { arrangeOffice } from '../helpers/ingest-office.js';

/**
 * Issue 12 item 7: a real `kinko serve` is killed with SIGKILL in the middle
 * of an upload, twice. The ciphertext it was writing stays in `drops/.tmp`.
 * A restart sweeps what is older than TEMP_IDLE_MS (and leaves a young one:
 * another instance sharing the folder could still be writing it), and
 * `kinko drops:sweep` does the same on demand. Time passing is simulated by
 * setting the leftover's mtime back, as an hour of silence would.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');

function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') out[k] = v;
  return { ...out, KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'info', ...extra };
}

interface Running {
  child: ChildProcess;
  port: number;
  out: () => string;
  exited: Promise<unknown>;
}

async function waitFor(what: () => boolean, label: string, out: () => string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startKinko(dataDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: env(dataDir, { KINKO_PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(() => text.includes('interrupted upload temp files swept') || child.exitCode !== null, 'start-up sweep', () => text);
  if (child.exitCode !== null) throw new Error(`kinko exited while starting:\n${text}`);
  return { child, port, out: () => text, exited };
}

/** The start-up sweep's own log line, as written. */
function sweepLine(r: Running): { checked: number; removed: number } {
  const line = r.out().split('\n').find((l) => l.includes('interrupted upload temp files swept'))!;
  return JSON.parse(line);
}

async function stopKinko(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await r.exited;
}

function tempFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'drops', '.tmp');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((n) => path.join(dir, n)) : [];
}

function age(file: string, ms: number): void {
  const t = new Date(Date.now() - ms);
  fs.utimesSync(file, t, t);
}

/** Starts a CSV upload that streams bytes and never ends, then kills the server with SIGKILL once the temp file holds some. */
async function killMidUpload(r: Running, room: string, sid: string, dataDir: string): Promise<string> {
  const before = new Set(tempFiles(dataDir));
  const page = await fetch(`http://127.0.0.1:${r.port}${room}`, { headers: { cookie: `kinko_sid=${sid}` } });
  const cookie = [`kinko_sid=${sid}`, ...page.headers.getSetCookie().map((c) => c.split(';')[0]!)].join('; ');
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;
  const boundary = '----kinko-crash';
  const req = http.request({
    host: '127.0.0.1', port: r.port, method: 'POST', path: `${room}/drops`,
    headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => {}); // the server dies under it
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="roster.csv"\r\nContent-Type: text/csv\r\n\r\n社員番号,氏名\r\n`);
  const row = Buffer.from('K001,工藤 一\r\n'.repeat(4096));
  const pump = setInterval(() => req.write(row), 20);
  const fresh = () => tempFiles(dataDir).filter((f) => !before.has(f) && fs.statSync(f).size > 0);
  try {
    await waitFor(() => fresh().length > 0, 'the upload temp file', r.out);
  } finally {
    r.child.kill('SIGKILL');
    clearInterval(pump);
  }
  await r.exited;
  req.destroy();
  return fresh()[0]!;
}

function runCli(dataDir: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: env(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('drops: temp files of uploads interrupted by kill -9', () => {
  let dataDir: string;
  let room: string;
  let sid: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-tmpsweep-'));
    const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'silent' }), { logger: createLogger({ level: 'silent' }) });
    try {
      const office = await arrangeOffice(deps);
      room = `/room/${office.company.accessKey}`;
      sid = await createSession(deps.db, office.client.id, 'full', new Date(), { ip: '127.0.0.1' });
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('start-up removes leftovers idle past the limit, keeps young ones; `kinko drops:sweep` removes the rest', async () => {
    const first = await killMidUpload(await startKinko(dataDir), room, sid, dataDir);
    // Before the sweep existed this file stayed forever.
    expect(tempFiles(dataDir)).toEqual([first]);

    // Restart right away: the leftover is young (it could be another instance's upload), so it stays.
    const second = await startKinko(dataDir);
    expect(sweepLine(second)).toMatchObject({ checked: 1, removed: 0 });
    const other = await killMidUpload(second, room, sid, dataDir);
    expect(tempFiles(dataDir).sort()).toEqual([first, other].sort());

    // An hour of silence later the first one goes at start-up; the young one stays.
    age(first, TEMP_IDLE_MS + 60_000);
    const third = await startKinko(dataDir);
    expect(sweepLine(third)).toMatchObject({ checked: 2, removed: 1 });
    expect(tempFiles(dataDir)).toEqual([other]);
    await stopKinko(third);

    age(other, TEMP_IDLE_MS + 60_000);
    const cli = await runCli(dataDir, ['drops:sweep']);
    expect(cli.code).toBe(0);
    expect(cli.out).toContain('temp files: checked 1, removed 1');
    expect(tempFiles(dataDir)).toEqual([]);
  }, 120_000);

  it('a put still running in this process is never swept, however long its temp file has been idle', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-tmpbusy-'));
    const drops = createLocalAdapter({ name: 'drops', root, signingSecret: 'x'.repeat(43), baseUrl: 'http://localhost' });
    const body = new Readable({ read() {} });
    const put = drops.put('slow-upload', body);
    body.push(Buffer.alloc(1024, 7));
    const tmp = path.join(root, '.tmp');
    await waitFor(() => fs.existsSync(tmp) && fs.readdirSync(tmp).some((n) => fs.statSync(path.join(tmp, n)).size > 0), 'the temp file', () => '');
    for (const n of fs.readdirSync(tmp)) age(path.join(tmp, n), TEMP_IDLE_MS * 10);
    expect(await drops.sweepTemp({ olderThanMs: TEMP_IDLE_MS })).toEqual({ checked: 1, removed: 0 });
    body.push(null);
    expect((await put).size).toBe(1024);
    expect(fs.readdirSync(tmp)).toEqual([]);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
