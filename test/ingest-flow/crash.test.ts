import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from '../../server/auth/sessions.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { FAILPOINTS } from '../../server/failpoints.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { createLogger } from '../../server/log/logger.js';
import { decryptRecord, unwrapKey } from '../../server/vault/crypto.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { freePort } from '../helpers/servers.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, filesContaining, numberForms, type ArrangedDrop, type Office } from '../helpers/ingest-office.js';
import { dropDisposalRow } from '../helpers/disposal.js';

/**
 * Kill -9 at every step of the ingest that writes (security.md INGEST FAULTS,
 * P9), with a real kinko process: `node bin/kinko.js serve` with
 * KINKO_FAILPOINTS=<step>, driven over HTTP until the failpoint kills it,
 * then restarted without it. After the restart's recovery (and the
 * `ingest:reconcile` command) the invariant must hold: every input row is in
 * the vault exactly once or in review with its reason — or the drop is intact
 * and retryable, and then a retry completes it; no orphan vault objects; the
 * original is never gone before the commit.
 *
 * KINKO_CRASH_ROUNDS repeats the whole set (default 1; `KINKO_CRASH_ROUNDS=20`
 * is the "20 times in a row" run).
 */
const ROUNDS = Math.max(1, Number(process.env.KINKO_CRASH_ROUNDS ?? 1) || 1);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');

/** Every failpoint, and the second vault batch (KINKO_VAULT_BATCH=2 and 4 persons: after the first batch = half the records, @2 = after the last). */
const CASES = [...FAILPOINTS.filter((f) => f.startsWith('ingest.') && f !== 'ingest.after-vault-write'), 'ingest.after-vault-write', 'ingest.after-vault-write@2'];

const numbers = syntheticMyNumbers(6, 9090);
/** What the file holds: 4 persons (3 employees, 1 spouse) and 1 row that must go to review. */
const TRUTH = {
  persons: [numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!].sort(),
  reviewReasons: ['check-digit'],
};
const badCheckDigit = numbers[4]!.slice(0, 11) + String((Number(numbers[4]!.slice(11)) + 1) % 10);
const CSV = Buffer.from(
  [
    '社員番号,氏名,フリガナ,個人番号,配偶者氏名,配偶者の個人番号',
    `K001,工藤 一,クドウ ハジメ,${numbers[0]},工藤 花,${numbers[1]}`,
    `K002,小林 二郎,コバヤシ ジロウ,${numbers[2]},,`,
    `K003,近藤 三郎,コンドウ サブロウ,${numbers[3]},,`,
    `K004,後藤 四郎,ゴトウ シロウ,${badCheckDigit},,`,
  ].join('\r\n') + '\r\n',
  'utf8',
);

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  return { ...env, KINKO_LOG_LEVEL: 'info', ...extra };
}

interface Running {
  child: ChildProcess;
  port: number;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startKinko(dataDir: string, failpoints?: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cleanEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), KINKO_VAULT_BATCH: '2', ...(failpoints ? { KINKO_FAILPOINTS: failpoints } : {}) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kinko exited while starting:\n${text}`);
    if (text.includes('ingest recovery finished')) break;
    if (Date.now() > until) throw new Error(`kinko did not finish starting:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, out: () => text, exited };
}

async function stopKinko(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const t = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
  await r.exited;
  clearTimeout(t);
}

/** A tiny cookie-keeping HTTP client (fetch, no redirects followed). */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    sid: string,
  ) {
    this.cookies.set('kinko_sid', sid);
  }
  async send(method: 'GET' | 'POST', p: string, form?: Record<string, string>) {
    const res = await fetch(this.base + p, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const kv = c.split(';')[0]!;
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  }
}

/** Drives one ingest to the end (or until the process dies). Returns how far it got. */
async function driveIngest(b: Browser, dropId: string): Promise<'done' | 'died'> {
  try {
    const page = await b.send('GET', `/office/drops/${dropId}`);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    const start = await b.send('POST', `/office/drops/${dropId}/ingest`, { _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    if (start.status !== 303) throw new Error(`start answered ${start.status}`);
    const preview = await b.send('GET', start.location);
    const version = /name="version" value="(\d+)"/.exec(preview.text)![1]!;
    const confirm = await b.send('POST', `${start.location}/confirm`, { _csrf: csrf, version });
    if (confirm.status !== 303) throw new Error(`confirm answered ${confirm.status}`);
    return 'done';
  } catch (err) {
    if ((err as Error)?.name === 'TypeError' && /fetch failed/.test((err as Error).message)) return 'died';
    throw err;
  }
}

const quiet = () => createLogger({ level: 'silent' });

async function openDeps(dataDir: string): Promise<Deps> {
  return buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'silent' }), { logger: quiet(), migrate: false });
}

async function present(deps: Deps, key: string): Promise<boolean> {
  return deps.storage.drops.head(key).then(
    () => true,
    (e: unknown) => {
      if (e instanceof StorageNotFoundError) return false;
      throw e;
    },
  );
}

/** Right after the kill: the original may be gone only if the commit is durable. */
async function checkAtCrash(dataDir: string, drop: ArrangedDrop): Promise<void> {
  const deps = await openDeps(dataDir);
  try {
    const job = await deps.db.selectFrom('ingest_jobs').select('state').where('drop_id', '=', drop.id).executeTakeFirst();
    if (!(await present(deps, drop.storedKey))) {
      expect(['committed', 'done']).toContain(job?.state);
      const n = await deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute();
      expect(n).toHaveLength(TRUTH.persons.length);
    }
  } finally {
    await deps.close();
  }
}

type Outcome = 'complete' | 'intact';

/** The invariant after recovery: complete (vault exactly once + review, original gone) or intact and retryable. */
async function checkInvariant(dataDir: string, drop: ArrangedDrop, office: Office): Promise<Outcome> {
  const deps = await openDeps(dataDir);
  try {
    const job = await deps.db.selectFrom('ingest_jobs').selectAll().where('drop_id', '=', drop.id).executeTakeFirst();
    const dropRow = await deps.db.selectFrom('drops').select(['state', 'sha256']).where('id', '=', drop.id).executeTakeFirstOrThrow();
    const persons = await deps.db.selectFrom('persons').selectAll().execute();
    const vault: string[] = [];
    for await (const o of deps.storage.vault.list()) vault.push(o.key);
    // No orphans, ever, after recovery: every vault object is some person's record and vice versa.
    expect(vault.sort()).toEqual(persons.map((p) => p.token).sort());

    if (dropRow.state === 'received') {
      expect(job === undefined || job.state === 'released').toBe(true);
      expect(persons).toHaveLength(0);
      expect(await present(deps, drop.storedKey)).toBe(true);
      const bytes = await streamBytes(await deps.storage.drops.get(drop.storedKey));
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(drop.sha256);
      return 'intact';
    }

    expect(dropRow.state).toBe('disposed');
    expect(job?.state).toBe('done');
    // Every truth number in the vault exactly once (decrypted with the office key, as a reveal would).
    const officeKey = await unlockOfficeKey(deps, office.director.id, DIRECTOR.keyPassphrase);
    const keys = new Map<string, Buffer>();
    for (const k of await deps.db.selectFrom('data_keys').selectAll().execute()) keys.set(k.id, await unwrapKey(k.wrapped_key!, officeKey));
    const held: string[] = [];
    for (const p of persons) held.push(decryptRecord(keys.get(p.data_key_id)!, p.token, await streamBytes(await deps.storage.vault.get(p.token))));
    expect(held.sort()).toEqual(TRUTH.persons);
    const review = await deps.db.selectFrom('ingest_review').select('reason').where('drop_id', '=', drop.id).execute();
    expect(review.map((r) => r.reason).sort()).toEqual(TRUTH.reviewReasons);
    // The original: gone, verified, recorded.
    expect(await deps.storage.drops.remnants(drop.storedKey)).toEqual([]);
    expect(await present(deps, drop.storedKey)).toBe(false);
    const disposal = await dropDisposalRow(deps.db, drop.id);
    expect(disposal).toMatchObject({ sha256: drop.sha256, method: 'storage-delete-all-versions', backend: 'local' });
    const audit = await deps.db.selectFrom('audit_log').select('action').where('target_ids', 'like', `%${drop.id}%`).execute();
    expect(audit.filter((a) => a.action === 'ingest.commit')).toHaveLength(1);
    expect(audit.filter((a) => a.action === 'drop.destroy')).toHaveLength(1);
    return 'complete';
  } finally {
    await deps.close();
  }
}

async function streamBytes(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as unknown as Uint8Array));
  return Buffer.concat(parts);
}

function runCli(dataDir: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv({ KINKO_DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function session(dataDir: string, userId: string): Promise<string> {
  const deps = await openDeps(dataDir);
  try {
    return await createSession(deps.db, userId, 'full', new Date(), { ip: '127.0.0.1' });
  } finally {
    await deps.close();
  }
}

/** One crash case end to end; returns the log text of every process, for the number scan. */
async function crashCase(template: string, office: Office, drop: ArrangedDrop, failpoint: string): Promise<{ logs: string; dataDir: string; outcome: Outcome }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-crash-'));
  fs.cpSync(template, dataDir, { recursive: true });
  try {
    return await crashIn(dataDir, office, drop, failpoint);
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function crashIn(dataDir: string, office: Office, drop: ArrangedDrop, failpoint: string): Promise<{ logs: string; dataDir: string; outcome: Outcome }> {
  let logs = '';

  // 1. Run with the failpoint armed until it kills the process.
  const a = await startKinko(dataDir, failpoint);
  let got: 'done' | 'died';
  let exit: { signal: NodeJS.Signals | null } | null;
  try {
    got = await driveIngest(new Browser(`http://127.0.0.1:${a.port}`, await session(dataDir, office.director.id)), drop.id);
    let timer: NodeJS.Timeout | undefined;
    exit = await Promise.race([a.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 20_000)))]);
    clearTimeout(timer);
  } finally {
    await stopKinko(a); // a no-op when the failpoint killed it
    logs += a.out();
  }
  expect({ failpoint, got, signal: exit?.signal }).toEqual({ failpoint, got: 'died', signal: 'SIGKILL' });
  expect(a.out()).toContain(`failpoint ${failpoint.split('@')[0]}`);
  await checkAtCrash(dataDir, drop);

  // 2. Restart without it: start-up recovery runs; then the operator command too.
  const b = await startKinko(dataDir);
  try {
    const cli = await runCli(dataDir, ['ingest:reconcile']);
    logs += cli.out;
    expect(cli.code).toBe(0);
    let outcome = await checkInvariant(dataDir, drop, office);
    const first = outcome;
    if (outcome === 'intact') {
      // Retryable means: a retry goes all the way.
      expect(await driveIngest(new Browser(`http://127.0.0.1:${b.port}`, await session(dataDir, office.director.id)), drop.id)).toBe('done');
      outcome = await checkInvariant(dataDir, drop, office);
      expect(outcome).toBe('complete');
    }
    return { logs: logs + b.out(), dataDir, outcome: first };
  } finally {
    await stopKinko(b);
    logs += b.out();
  }
}

describe(`ingest crash safety: kill -9 at every failpoint, restart, invariant holds (${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`, () => {
  let template: string;
  let office: Office;
  let drop: ArrangedDrop;

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-crash-template-'));
    const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: template, KINKO_LOG_LEVEL: 'silent' }), { logger: quiet() });
    try {
      office = await arrangeOffice(deps);
      drop = await arrangeDrop(deps, office, await encryptToOffice(deps.db, CSV));
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => {
    fs.rmSync(template, { recursive: true, force: true });
  });

  const expectedFirst: Record<string, Outcome> = {
    'ingest.after-claim': 'intact',
    'ingest.after-vault-write': 'intact',
    'ingest.after-vault-write@2': 'intact',
    'ingest.after-commit': 'complete',
    'ingest.after-drop-delete': 'complete',
    'ingest.after-disposal-record': 'complete',
  };

  for (let round = 1; round <= ROUNDS; round++) {
    it(
      `round ${round}: every failpoint (${CASES.length}) — kill, restart, recover, invariant`,
      async () => {
        // All cases of a round run side by side (own data folder and port each); wait for every one before judging.
        const settled = await Promise.allSettled(CASES.map((fp) => crashCase(template, office, drop, fp)));
        const failed = settled.find((s) => s.status === 'rejected');
        if (failed) throw (failed as PromiseRejectedResult).reason;
        const results = settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof crashCase>>>).value);
        try {
          results.forEach((r, i) => expect({ fp: CASES[i], outcome: r.outcome }).toEqual({ fp: CASES[i], outcome: expectedFirst[CASES[i]!] }));
          for (const r of results) {
            for (const form of numberForms([...numbers, badCheckDigit])) expect(r.logs).not.toContain(form);
            expect(filesContaining(r.dataDir, [...numbers])).toEqual([]);
          }
        } finally {
          for (const r of results) fs.rmSync(r.dataDir, { recursive: true, force: true });
        }
      },
      240_000,
    );
  }
});
