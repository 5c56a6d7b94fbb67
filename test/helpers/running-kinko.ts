import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate as totpCode } from 'otplib';
import { createSession } from '../../server/auth/sessions.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';
import { arrangeOffice, type Office } from './ingest-office.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { freePort } from './servers.js';

/**
 * A real kinko process (`node bin/kinko.js serve`, SQLite + local storage in
 * a temp data folder) arranged with an office key, a key holder (the
 * director), a client company and its client user — driven only over HTTP:
 * the client uploads through the API, the office starts ingests through the
 * drop page's form. Used by the hostile-input suite and bench/hostile.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');
const PAGE = 4096;

export interface Answer {
  status: number;
  location: string;
  text: string;
}

export interface RunningKinko {
  base: string;
  pid: number;
  dataDir: string;
  office: Office;
  proc: ChildProcess;
  /** Everything the process printed so far. */
  out(): string;
  alive(): boolean;
  /** Client upload through POST /api/v1/drops; the drop id from its receipt (201), or undefined. */
  upload(bytes: Buffer, fileName: string): Promise<{ status: number; dropId?: string; body: string }>;
  /** The key holder submits the drop page's form (as a browser does: the page first, for its CSRF token). */
  startIngest(dropId: string, opts?: { readAgain?: boolean }): Promise<Answer>;
  /** An office page, as the key holder. */
  get(p: string): Promise<Answer>;
  /** The confirmation of a started ingest (the preview page's form). */
  confirm(previewPath: string): Promise<Answer>;
  stop(): Promise<void>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  return { ...env, KINKO_LOG_LEVEL: 'info', ...extra };
}

/** Resident bytes of a process (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** Every process under `pid` (its parse processes and their shells), recursively. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let kids: number[] = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return out;
  }
  for (const k of kids) out.push(k, ...descendants(k));
  return out;
}

export async function startRunningKinko(
  opts: { env?: Record<string, string>; readyMs?: number; nodeArgs?: string[]; arrange?: (deps: Deps, office: Office) => Promise<void> } = {},
): Promise<RunningKinko> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-hostile-'));
  const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'silent' }), { logger: createLogger({ level: 'silent' }) });
  let office: Office;
  let sid: string;
  try {
    office = await arrangeOffice(deps);
    // More arranged straight into the data folder before the server starts (bench/ledger: a long audit trail).
    await opts.arrange?.(deps, office);
    sid = await createSession(deps.db, office.director.id, 'full', new Date(), { ip: '127.0.0.1' });
  } finally {
    await deps.close();
  }
  const port = await freePort();
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, 'serve'], {
    cwd: ROOT,
    env: cleanEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), KINKO_HOST: '127.0.0.1', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const until = Date.now() + (opts.readyMs ?? 60_000);
  while (!text.includes('ingest recovery finished')) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`kinko exited while starting:\n${text}`);
    if (Date.now() > until) throw new Error(`kinko did not finish starting:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = `http://127.0.0.1:${port}`;
  const cookies = new Map<string, string>([['kinko_sid', sid]]);

  const send = async (method: 'GET' | 'POST', p: string, form?: Record<string, string>): Promise<Answer> => {
    const res = await fetch(base + p, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'accept-language': 'ja',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const kv = c.split(';')[0]!;
      const i = kv.indexOf('=');
      cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  };
  const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

  const login = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessKey: office.company.accessKey, loginId: office.client.loginId, password: office.client.password, totp: await totpCode({ secret: office.client.totpSecret }) }),
  });
  if (login.status !== 201) throw new Error(`API login failed: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };

  return {
    base,
    pid: proc.pid!,
    dataDir,
    office,
    proc,
    out: () => text,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async upload(bytes, fileName) {
      const form = new FormData();
      form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), fileName);
      const res = await fetch(`${base}/api/v1/drops`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      const body = await res.text();
      const dropId = res.status === 201 ? (JSON.parse(body) as { drops: Array<{ receipt: { dropId: string } }> }).drops[0]?.receipt.dropId : undefined;
      return { status: res.status, dropId, body };
    },
    async startIngest(dropId, o = {}) {
      const page = await send('GET', `/office/drops/${dropId}`);
      return send('POST', `/office/drops/${dropId}/ingest`, { _csrf: csrfOf(page.text), passphrase: DIRECTOR.keyPassphrase, ...(o.readAgain ? { readAgain: '1' } : {}) });
    },
    get: (p) => send('GET', p),
    async confirm(previewPath) {
      const preview = await send('GET', previewPath);
      const version = /name="version" value="(\d+)"/.exec(preview.text)?.[1] ?? '';
      return send('POST', `${previewPath}/confirm`, { _csrf: csrfOf(preview.text), version });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
