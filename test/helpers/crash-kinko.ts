import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSession } from '../../server/auth/sessions.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';
import { filesContaining, numberForms } from './ingest-office.js';
import { freePort } from './servers.js';

/**
 * A real `kinko serve` on a data folder for the kill-at-every-failpoint
 * tests (disposal, reseal, collection): started with KINKO_FAILPOINTS, driven
 * over HTTP with a session made in the database, killed by the failpoint
 * (SIGKILL), restarted without it; `openDeps` reads the folder's state
 * between runs.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  return { ...env, KINKO_LOG_LEVEL: 'info', ...extra };
}

export interface Running {
  child: ChildProcess;
  port: number;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startKinko(dataDir: string, failpoints?: string): Promise<Running> {
  for (let tries = 0; ; tries++) {
    try {
      return await startOnce(dataDir, failpoints);
    } catch (e) {
      // Another process took the port between freePort and listen: try another one.
      if (tries < 3 && /EADDRINUSE/.test(String(e))) continue;
      throw e;
    }
  }
}

async function startOnce(dataDir: string, failpoints?: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cleanEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), ...(failpoints ? { KINKO_FAILPOINTS: failpoints } : {}) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const until = Date.now() + 60_000;
  while (!text.includes('disposal recovery finished')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kinko exited while starting:\n${text}`);
    if (Date.now() > until) throw new Error(`kinko did not finish starting:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, out: () => text, exited };
}

export async function stopKinko(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const t = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
  await r.exited;
  clearTimeout(t);
}

/** A form post with the session cookie and the page's CSRF token (fetch, no redirects followed). */
export async function post(base: string, sid: string, page: string, action: string, form: Record<string, string | string[]>) {
  const cookies = new Map([['kinko_sid', sid]]);
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const got = await fetch(base + page, { headers: { cookie: header() }, redirect: 'manual' });
  for (const c of got.headers.getSetCookie()) {
    const kv = c.split(';')[0]!;
    cookies.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
  }
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await got.text())?.[1] ?? '';
  const body = new URLSearchParams({ _csrf: csrf });
  for (const [k, v] of Object.entries(form)) for (const one of ([] as string[]).concat(v)) body.append(k, one);
  const res = await fetch(base + action, { method: 'POST', redirect: 'manual', headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
}

const quiet = () => createLogger({ level: 'silent' });
export const openDeps = (dataDir: string, migrate = false): Promise<Deps> => buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'silent' }), { logger: quiet(), migrate });

export async function stepUpSession(dataDir: string, userId: string): Promise<string> {
  const deps = await openDeps(dataDir);
  try {
    return await createSession(deps.db, userId, 'full', new Date(), { ip: '127.0.0.1' }, true);
  } finally {
    await deps.close();
  }
}


/** A fresh copy of a template data folder for one crash case. */
export function copyOf(template: string, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

/** Runs the request the failpoint must kill, and checks that it did: no answer, the process gone by SIGKILL. */
export async function expectKilled(running: Running, failpoint: string, act: () => Promise<unknown>): Promise<void> {
  const died = await act().then((r) => `answered ${(r as { status?: number })?.status ?? '?'}`, () => 'died');
  const exit = await Promise.race([running.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000).unref())]);
  expect({ failpoint, died, signal: exit?.signal }).toEqual({ failpoint, died: 'died', signal: 'SIGKILL' });
}

/**
 * One round: every case at once, each in its own data folder; then no
 * number (in any written form) in any case's logs or files. The folders go
 * afterwards, whatever happened.
 */
export async function everyCaseOnce<C>(cases: readonly C[], run: (c: C) => Promise<{ logs: string; dataDir: string }>, numbers: readonly string[]): Promise<void> {
  const settled = await Promise.allSettled(cases.map(run));
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const r of results) {
      for (const form of numberForms([...numbers])) expect(r.logs).not.toContain(form);
      expect(filesContaining(r.dataDir, [...numbers])).toEqual([]);
    }
  } finally {
    for (const r of results) fs.rmSync(r.dataDir, { recursive: true, force: true });
  }
}
