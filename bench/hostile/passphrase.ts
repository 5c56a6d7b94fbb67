/**
 * Hostile key passphrases vs the web tier (issue 12 item 3): /healthz p95
 * while a key-holder session sends wrong passphrases to the ingest form.
 *
 *   node --import tsx bench/hostile/passphrase.ts
 *
 * Setup (not timed): a temp data folder; the office set up through the setup
 * service (director + office key), HOLDERS staff key holders (copies made by
 * the director's unlock), one received drop, and a signed-in session per
 * holder (plus one for the one-holder attack) — all written straight into the database. Then kinko is started as
 * its own process (`node bin/kinko.js serve`), so the load generator here does
 * not share the server's event loop.
 *
 * Measured (probe: one /healthz at a time, 5 ms apart, timed end to end):
 *   idle          — nothing else happening;
 *   one holder    — 200 wrong passphrases from one session in 10 s (the
 *                   issue's attack): the throttle lets 5 be tried, the rest
 *                   are refused before any S2K;
 *   many holders  — HOLDERS sessions × 5 wrong passphrases, all at once: 200
 *                   S2K derivations really run (the most the throttle allows),
 *                   on the unlock thread.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSession } from '../../server/auth/sessions.js';
import { newTotpSecret } from '../../server/auth/totp.js';
import { limits, loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import { createHolderCopy } from '../../server/keys/office-key.js';
import { createLogger } from '../../server/log/logger.js';
import { completeSetup } from '../../server/setup/service.js';
import { makeCompany, makeUser } from '../../test/helpers/actors.js';
import { arrangeDrop, encryptToOffice, rosterCsv } from '../../test/helpers/ingest-office.js';
import { totpCode } from '../../test/setup/setup-helpers.js';

const HOLDERS = 40;
const ONE_HOLDER_TRIES = 200;
const ONE_HOLDER_SECONDS = 10;
const DIRECTOR_PASSPHRASE = 'bench-director-key-passphrase';
// Read this way so the bench also runs against a kinko from before the throttle (a before/after comparison).
const THROTTLE = (limits as { keyPassphrase?: { holderFailures: number; windowMs: number } }).keyPassphrase;
const PER_HOLDER = THROTTLE?.holderFailures ?? 5;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---- a small p95 helper of its own (bench/hostile/healthz.ts may offer a shared one) ----

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

function get(port: number, pathName: string, cookie?: string): Promise<{ status: number; body: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathName, headers: cookie ? { cookie } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookies: (res.headers['set-cookie'] as string[] | undefined) ?? [] }));
      })
      .on('error', reject);
  });
}

function post(port: number, pathName: string, cookie: string, form: Record<string, string>): Promise<number> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathName, method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** /healthz answer times while `work` runs (at least `minMs`); `unhealthy` counts answers other than 200. */
async function probeHealthz(port: number, work: () => Promise<unknown>, minMs = 0): Promise<number[] & { unhealthy?: number }> {
  const times: number[] & { unhealthy?: number } = [];
  times.unhealthy = 0;
  let done = false;
  const probing = (async () => {
    while (!done) {
      const start = performance.now();
      const r = await get(port, '/healthz');
      if (r.status !== 200) times.unhealthy! += 1; // e.g. 503: a check missed its 3 s limit
      times.push(performance.now() - start);
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  await Promise.all([work(), new Promise((r) => setTimeout(r, minMs))]);
  done = true;
  await probing;
  return times;
}

// ---- arrange ------------------------------------------------------------------

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function arrange(env: Record<string, string>) {
  const deps = await buildDeps(loadConfig(env), { logger: createLogger({ level: 'silent' }) });
  try {
    const totpSecret = newTotpSecret();
    const setup = await completeSetup(deps, { cli: true }, {
      officeName: 'ベンチ社会保険労務士事務所', directorName: '所長 ベンチ', loginId: 'bench-director', password: 'bench-director-password',
      passwordConfirm: 'bench-director-password', totpSecret, totpCode: await totpCode(totpSecret, deps.clock.now()),
      keyPassphrase: DIRECTOR_PASSPHRASE, keyPassphraseConfirm: DIRECTOR_PASSPHRASE,
    });
    if (!setup.ok) throw new Error(`setup failed: ${JSON.stringify(setup.errors)}`);
    const company = await makeCompany(deps, 'ベンチ商事株式会社');
    const client = await makeUser(deps, { role: 'client', companyId: company.id });
    const drop = await arrangeDrop(deps, { company, client }, await encryptToOffice(deps.db, rosterCsv([])));
    const sessions: string[] = [];
    for (let i = 0; i <= HOLDERS; i++) { // one more: the first is the one-holder attack's
      const holder = await makeUser(deps, { role: 'staff', name: `担当 ${i + 1}` });
      await createHolderCopy(deps, { byUserId: setup.directorId, byPassphrase: DIRECTOR_PASSPHRASE, forUserId: holder.id, now: deps.clock.now() });
      sessions.push(await createSession(deps.db, holder.id, 'full', deps.clock.now(), { ip: '127.0.0.1' }));
    }
    return { dropId: drop.id, sessions };
  } finally {
    await deps.close();
  }
}

async function startKinko(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/kinko.js'), 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kinko exited with ${child.exitCode}`);
    const ok = await get(port, '/healthz').then((r) => r.status === 200, () => false);
    if (ok) return child;
    if (Date.now() > end) throw new Error('kinko did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The session's cookie header with its CSRF cookie, and the page's CSRF token. */
async function formOf(port: number, sid: string, dropId: string): Promise<{ cookie: string; csrf: string }> {
  const page = await get(port, `/office/drops/${dropId}`, `kinko_sid=${sid}`);
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error(`no form on the drop page (status ${page.status})`);
  const extra = page.cookies.map((c) => c.split(';')[0]).filter((c) => !c.startsWith('kinko_sid='));
  return { cookie: [`kinko_sid=${sid}`, ...extra].join('; '), csrf };
}

// ---- run ----------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-passphrase-'));
  const port = await freePort();
  const env = { KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), KINKO_HOST: '127.0.0.1', KINKO_LOG_LEVEL: 'error' };
  let child: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    const { dropId, sessions } = await arrange(env);
    child = await startKinko(env, port);
    const forms = await Promise.all(sessions.map((sid) => formOf(port, sid, dropId)));
    console.log(`kinko hostile passphrase bench — node ${process.version}, ${os.cpus().length} CPU(s), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s: office, ${HOLDERS} key holders, kinko on :${port}; ${THROTTLE ? `throttle ${THROTTLE.holderFailures} tries / ${THROTTLE.windowMs / 60_000} min per holder` : 'no passphrase throttle'}`);
    const wrong = (f: { cookie: string; csrf: string }, i: number) => post(port, `/office/drops/${dropId}/ingest`, f.cookie, { _csrf: f.csrf, passphrase: `wrong-passphrase-${i}` });
    const tally = (statuses: number[]) => Object.entries(statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {})).map(([s, n]) => `${n}×${s}`).join(', ');

    await probeHealthz(port, async () => {}, 500); // warm-up
    const idle = await probeHealthz(port, async () => {}, 5000);

    let one: number[] = [];
    const oneHolder = await probeHealthz(port, async () => {
      const gap = (ONE_HOLDER_SECONDS * 1000) / ONE_HOLDER_TRIES;
      const sent: Promise<number>[] = [];
      for (let i = 0; i < ONE_HOLDER_TRIES; i++) {
        sent.push(wrong(forms[0]!, i));
        await new Promise((r) => setTimeout(r, gap));
      }
      one = await Promise.all(sent);
    });

    let many: number[] = [];
    const t1 = performance.now();
    const manyHolders = await probeHealthz(port, async () => {
      many = await Promise.all(forms.slice(1).flatMap((f, h) => Array.from({ length: PER_HOLDER }, (_, i) => wrong(f, h * 100 + i))));
    });
    const manyMs = performance.now() - t1;

    const line = (name: string, xs: number[] & { unhealthy?: number }) =>
      `${name.padEnd(44)} p50 ${percentile(xs, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(xs, 95).toFixed(1).padStart(6)} ms   max ${Math.max(...xs).toFixed(1).padStart(7)} ms   (${xs.length} probes${xs.unhealthy ? `, ${xs.unhealthy} not 200` : ''})`;
    console.log(line('/healthz idle', idle));
    console.log(line(`/healthz, 1 holder × ${ONE_HOLDER_TRIES} wrong in ${ONE_HOLDER_SECONDS} s`, oneHolder));
    console.log(`   answers: ${tally(one)}`);
    console.log(line(`/healthz, ${HOLDERS} holders × ${PER_HOLDER} wrong at once`, manyHolders));
    console.log(`   answers: ${tally(many)} in ${(manyMs / 1000).toFixed(1)} s (${many.filter((s) => s === 400).length + (THROTTLE ? many.length / PER_HOLDER : 0)} passphrases tested by S2K)`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
