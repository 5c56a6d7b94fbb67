/**
 * Upload bench: the real kinko server (a child process, `node bin/kinko.js
 * serve` on a temp data folder, SQLite + local storage) receiving uploads
 * through the scripted API, measured side by side with its peers in one run.
 *
 *   node --import tsx bench/upload/run.ts [--size-mib 1024] [--rounds 10]
 *        [--reps 3] [--concurrency 50] [--load-mib 20] [--load-kind mixed|plain|encrypted]
 *        [--compare openpgpjs,inline] [--timeout-min 20]
 *
 * 1 and 2 run interleaved: each of --reps rounds runs every contestant once
 * (gpg, kinko plain, each --compare server plain, kinko pre-encrypted, the
 * sink), the order rotated from round to round; medians are reported.
 * --compare starts one more kinko server per KINKO_UPLOAD_ENCRYPT value (its
 * own data folder, the same office key) so that the former path (openpgpjs)
 * and the writer on the main thread (inline) are measured in the same rounds
 * as the default (thread); '' for none.
 *
 *  1. plain CSV of --size-mib, encrypted by the server as it streams  vs
 *     `gpg -e` of the same bytes as one file to /dev/null          target ≥ 40%
 *     and vs kinko's own receive of the same data pre-encrypted (2.) target ≥ 75%
 *  2. the same data pre-encrypted with gpg (binary), stored as is     vs
 *     the same curl request to a minimal Node server (body → file, fsync)
 *                                                                    target ≥ 80%
 *  3. server RSS (VmRSS of the server pid, every 50 ms) during 1 and 2:
 *     peak and growth over the idle baseline                         target < 200 MiB
 *  4. --concurrency uploads of --load-mib at once × --rounds (fetch + FormData
 *     from file-backed Blobs): every receipt's SHA-256 and size checked
 *     against the stored object read back from the drops folder, drop rows
 *     counted, p50/p95 latency, server peak RSS                     target < 1 GiB, 0 lost
 *
 * The server refuses files over limits.upload.maxFileBytes (100 MiB) with 413,
 * so "a 1 GiB upload" is ONE multipart request of ceil(size / 100 MiB) files
 * (11 × 93.1 MiB for 1 GiB); the peers get exactly the same bytes (gpg: the
 * same CSV as one 1 GiB file; the sink: the same curl command line).
 *
 * KINKO_BENCH_DIR picks the folder (and so the filesystem) for sources and the
 * data folder; KINKO_BENCH_SERVER_ARGS adds node flags to the server process
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes).
 *
 * Client-side tools (curl, gpg) are separate processes so the bench process
 * is not the bottleneck; all traffic stays on 127.0.0.1. Every temp file
 * (sources, data folder, GnuPG home) is removed at the end. Exits 1 if a
 * target is missed or anything was lost or corrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { generate as totpCode } from 'otplib';
import { limits, loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { makeCompany, makeUser } from '../../test/helpers/actors.js';
import { installOfficeKey } from '../../test/drops/helpers.js';

const MiB = 1024 * 1024;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---- options -------------------------------------------------------------------

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const sizeMiB = Number(opt('size-mib', '1024'));
const rounds = Number(opt('rounds', '10'));
const reps = Number(opt('reps', '3'));
const concurrency = Number(opt('concurrency', '50'));
const loadMiB = Number(opt('load-mib', '20'));
const loadKind = opt('load-kind', 'mixed') as 'mixed' | 'plain' | 'encrypted';
const timeoutMin = Number(opt('timeout-min', '20'));
/** Other encryption paths (KINKO_UPLOAD_ENCRYPT) measured in the same rounds, each on a kinko server of its own. */
const compareModes = opt('compare', 'openpgpjs,inline').split(',').filter(Boolean);
for (const m of compareModes) if (!['thread', 'inline', 'openpgpjs'].includes(m)) throw new Error('--compare: a list of thread, inline, openpgpjs');
for (const [k, v] of Object.entries({ sizeMiB, rounds, reps, concurrency, loadMiB, timeoutMin })) {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`--${k}: expected a positive number`);
}
if (!['mixed', 'plain', 'encrypted'].includes(loadKind)) throw new Error('--load-kind: mixed, plain or encrypted');
if (loadMiB * MiB > limits.upload.maxFileBytes - 4096) throw new Error(`--load-mib must stay below the server's ${limits.upload.maxFileBytes / MiB} MiB file limit`);

/** Issue 17 §5: server-side encryption ≥ 40% of gpg -e, and ≥ 75% of kinko's own receive path without encryption (the pre-encrypted upload). */
const TARGET_PLAIN = 0.4;
const TARGET_PLAIN_VS_RECEIVE = 0.75;
const TARGET_ENCRYPTED = 0.8;
const TARGET_RSS_MIB = 200;
const TARGET_LOAD_RSS_MIB = 1024;

// ---- small helpers ---------------------------------------------------------------

const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  secs: number;
}

/** Runs a command to completion (bounded by `timeoutMs`), timing it wall-clock. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stdout?: (c: Buffer) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => (opts.stdout ? opts.stdout(c) : out.push(c)));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10 * 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), secs: (performance.now() - t0) / 1000 });
    });
  });
}

async function sha256Stream(s: Readable): Promise<{ hex: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of s) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { hex: h.digest('hex'), bytes };
}
const sha256File = (p: string) => sha256Stream(fs.createReadStream(p, { highWaterMark: MiB }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function writeAll(ws: fs.WriteStream, chunk: Buffer): Promise<void> {
  if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
}
async function endStream(ws: fs.WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

// ---- CSV-looking data --------------------------------------------------------------

const HEADER = '社員番号,氏名,フリガナ,部署,入社日,基本給,通勤手当\n';
const NAMES = ['山田 太郎,ヤマダ タロウ', '佐藤 花子,サトウ ハナコ', '鈴木 一郎,スズキ イチロウ', '高橋 美咲,タカハシ ミサキ', '田中 健,タナカ ケン', '伊藤 由美,イトウ ユミ', '渡辺 翔,ワタナベ ショウ'];
const DEPTS = ['総務部', '営業部', '製造部', '経理部', '開発部'];

/** Rows of a made-up roster, from row `start`, as ~1 MiB buffers, until `bytes` (the last buffer is cut to fit). */
function* csvChunks(bytes: number, start = 0): Generator<Buffer> {
  let left = bytes;
  let n = start;
  let first = true;
  while (left > 0) {
    let s = first ? HEADER : '';
    first = false;
    while (s.length < 400_000) {
      n++;
      s += `E${String(n).padStart(9, '0')},${NAMES[n % 7]},${DEPTS[n % 5]},${2000 + (n % 25)}/${String(1 + (n % 12)).padStart(2, '0')}/01,${200_000 + ((n * 7919) % 300_000)},${(n * 31) % 30_000}\n`;
    }
    const b = Buffer.from(s, 'utf8');
    const out = b.length > left ? b.subarray(0, left) : b;
    left -= out.length;
    yield out;
  }
}

// ---- RSS of another process ----------------------------------------------------------

/** Samples VmRSS of `pid` from /proc every `everyMs`; also reads the kernel's high-water mark (VmHWM). */
class RssSampler {
  private timer: NodeJS.Timeout;
  peak = 0;
  samples = 0;
  constructor(private readonly pid: number, everyMs = 50) {
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  private status(): Record<string, number> {
    try {
      const text = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^(VmRSS|VmHWM):\s+(\d+) kB/gm)) out[m[1]!] = Number(m[2]) * 1024;
      return out;
    } catch {
      return {};
    }
  }
  sample(): number {
    const rss = this.status().VmRSS ?? 0;
    this.samples++;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }
  /** Starts a new window: peak = now; the kernel's high-water mark is reset too where allowed. */
  reset(): number {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Not allowed here: VmHWM then is the peak since the process started.
    }
    this.peak = 0;
    return this.sample();
  }
  hwm(): number {
    return this.status().VmHWM ?? 0;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

// ---- CPU time ------------------------------------------------------------------------

let clockTicks = 100;

/** user + system CPU seconds used so far by process `pid` (all its threads), from /proc/<pid>/stat. */
function cpuOf(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clockTicks;
}

/** Runs a command under bash's `time`, for its user + system CPU seconds besides the wall time. */
async function runCpu(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran & { cpu: number }> {
  const r = await run('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time "$@"', 'bash', cmd, ...args], { env });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [u, sys] = last.split(' ').map(Number);
  return { ...r, cpu: (u ?? NaN) + (sys ?? NaN) };
}

// ---- child servers ------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  port: number;
  stop(): Promise<void>;
  log(): string;
}

async function startChild(cmdArgs: string[], env: NodeJS.ProcessEnv, port: number, logFile: string, ready: () => Promise<boolean>): Promise<Child> {
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, cmdArgs, { cwd: repo, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited = false;
  proc.once('exit', () => (exited = true));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '');
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(t);
  };
  const until = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${cmdArgs.join(' ')} exited at start:\n${log()}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > until) {
      await stop();
      throw new Error(`${cmdArgs.join(' ')} did not become ready in 60 s:\n${log()}`);
    }
    await sleep(100);
  }
  return { proc, port, stop, log };
}

/** Environment for children: ours, without any KINKO_* setting inherited from the shell. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_')) env[k] = v;
  return { ...env, ...extra };
}

// ---- uploads ---------------------------------------------------------------------------

interface Receipt {
  dropId: string;
  size: number;
  sha256: string;
  fileName: string;
}

interface CurlResult {
  status: number;
  secs: number;
  uploaded: number;
  body: string;
}

/** One multipart POST of `files` (field `file`) by curl; the body is streamed from disk by curl. */
async function curlUpload(url: string, files: string[], headers: string[], respFile: string): Promise<CurlResult> {
  const args = ['-sS', '-o', respFile, '-w', '%{http_code} %{size_upload}'];
  for (const h of headers) args.push('-H', h);
  for (const f of files) args.push('-F', `file=@${f}`);
  args.push(url);
  const r = await run('curl', args, { timeoutMs: 5 * 60_000 });
  if (r.code !== 0) throw new Error(`curl failed (${r.code}): ${r.stderr}`);
  const [status, uploaded] = r.stdout.trim().split(' ').map(Number);
  const body = fs.readFileSync(respFile, 'utf8');
  fs.rmSync(respFile, { force: true });
  return { status: status!, secs: r.secs, uploaded: uploaded!, body };
}

function receiptsOf(body: string): Receipt[] {
  const j = JSON.parse(body) as { drops: Array<{ receipt: Receipt }> };
  return j.drops.map((d) => d.receipt);
}

interface Expect {
  /** SHA-256 the stored object must have (pre-encrypted: stored as sent). */
  storedSha?: string;
  /** SHA-256 the decrypted object must have (plain: decrypt with the office secret key and compare). */
  plainSha?: string;
}

/**
 * Checks one receipt against the database row and the stored object read back
 * from the drops folder; optionally decrypts it with GnuPG. Returns problems
 * (empty = good). Deletes the object afterwards when `remove` (keeps the disk
 * footprint at one upload's worth; the row stays, so rows can be counted).
 */
async function checkReceipt(deps: Deps, r: Receipt, exp: Expect, gpg: { env: NodeJS.ProcessEnv; tmpDir: string }, remove: boolean): Promise<string[]> {
  const problems: string[] = [];
  const row = await deps.db.selectFrom('drops').select(['stored_key', 'size', 'sha256']).where('id', '=', r.dropId).executeTakeFirst();
  if (!row) return [`${r.dropId}: no drops row`];
  if (row.sha256 !== r.sha256 || Number(row.size) !== r.size) problems.push(`${r.dropId}: row differs from receipt`);
  const stored = await sha256Stream(await deps.storage.drops.get(row.stored_key));
  if (stored.hex !== r.sha256) problems.push(`${r.dropId}: stored object SHA-256 ${stored.hex} ≠ receipt ${r.sha256}`);
  if (stored.bytes !== r.size) problems.push(`${r.dropId}: stored object ${stored.bytes} bytes ≠ receipt ${r.size}`);
  if (exp.storedSha && exp.storedSha !== stored.hex) problems.push(`${r.dropId}: stored object is not the bytes sent`);
  if (exp.plainSha) {
    const h = createHash('sha256');
    const tmp = path.join(gpg.tmpDir, `check-${r.dropId}`);
    await pipeline(await deps.storage.drops.get(row.stored_key), fs.createWriteStream(tmp));
    const dec = await run('gpg', ['--batch', '--quiet', '--decrypt', tmp], { env: gpg.env, stdout: (c) => h.update(c) });
    fs.rmSync(tmp, { force: true });
    if (dec.code !== 0) problems.push(`${r.dropId}: gpg --decrypt failed: ${dec.stderr.trim()}`);
    else if (h.digest('hex') !== exp.plainSha) problems.push(`${r.dropId}: decrypts to different bytes than were sent`);
  }
  if (remove) await deps.storage.drops.delete(row.stored_key);
  return problems;
}

// ---- comparison servers ------------------------------------------------------------

/** Every child started (servers, the sink), for the watchdog and Ctrl-C. */
const children: ChildProcess[] = [];

async function apiLogin(api: string, company: { accessKey: string }, user: { loginId: string; password: string; totpSecret: string }): Promise<string> {
  const login = await fetch(`${api}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessKey: company.accessKey, loginId: user.loginId, password: user.password, totp: await totpCode({ secret: user.totpSecret }) }),
  });
  if (login.status !== 201) throw new Error(`API login failed: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { token: string }).token;
}

interface AltServer {
  mode: string;
  secs: number[];
  cpu: number[];
  peak: number;
  baseline: number;
  /** One multipart request of `files`; every receipt checked, decrypted by gpg when `plainShas` is given. */
  upload(files: string[], plainShas?: string[]): Promise<{ secs: number; cpu: number; problems: string[] }>;
  stop(): Promise<void>;
}

/** Another kinko server on a data folder of its own (same office key), encrypting plain uploads by `mode`. */
async function startAltServer(mode: string, base: string, tmpDir: string, gpgCheck: { env: NodeJS.ProcessEnv; tmpDir: string }): Promise<AltServer> {
  const dataDir = path.join(base, `data-${mode}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'warn' }));
  await installOfficeKey(deps);
  const company = await makeCompany(deps, `比較 ${mode} 株式会社`);
  const user = await makeUser(deps, { role: 'client', companyId: company.id });
  const port = await freePort();
  const server = await startChild(
    ['bin/kinko.js', 'serve'],
    childEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), KINKO_HOST: '127.0.0.1', KINKO_LOG_LEVEL: 'warn', KINKO_UPLOAD_ENCRYPT: mode }),
    port,
    path.join(base, `server-${mode}.log`),
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
  );
  children.push(server.proc);
  const api = `http://127.0.0.1:${port}/api/v1`;
  const auth = `Authorization: Bearer ${await apiLogin(api, company, user)}`;
  const sampler = new RssSampler(server.proc.pid!);
  const pid = server.proc.pid!;
  const alt: AltServer = {
    mode,
    secs: [],
    cpu: [],
    peak: 0,
    baseline: 0,
    async upload(files, plainShas) {
      sampler.reset();
      const cpu0 = cpuOf(pid);
      const r = await curlUpload(`${api}/drops`, files, [auth], path.join(tmpDir, `resp-${mode}.json`));
      const cpu = cpuOf(pid) - cpu0;
      alt.peak = Math.max(alt.peak, sampler.peak);
      if (r.status !== 201) throw new Error(`plain upload (${mode}): ${r.status} ${r.body.slice(0, 500)}`);
      const problems: string[] = [];
      const rcs = receiptsOf(r.body);
      if (rcs.length !== files.length) problems.push(`plain upload (${mode}): ${rcs.length} receipts for ${files.length} files`);
      for (const [i, rc] of rcs.entries()) problems.push(...(await checkReceipt(deps, rc, plainShas ? { plainSha: plainShas[i]! } : {}, gpgCheck, true)));
      return { secs: r.secs, cpu, problems };
    },
    async stop() {
      sampler.stop();
      await server.stop();
      await deps.close().catch(() => {});
    },
  };
  const upload = alt.upload;
  alt.upload = async (files, plainShas) => {
    const r = await upload(files, plainShas);
    alt.secs.push(r.secs);
    alt.cpu.push(r.cpu);
    return r;
  };
  // warm-up: one 1 MiB plain upload (lazy modules, JIT, the encryption thread's first start)
  const warm = path.join(tmpDir, `warm-up-${mode}.csv`);
  fs.writeFileSync(warm, Buffer.concat([...csvChunks(MiB)]));
  const w = await upload([warm]);
  fs.rmSync(warm);
  if (w.problems.length) throw new Error(`warm-up (${mode}): ${w.problems.join('; ')}`);
  await sleep(500);
  alt.baseline = sampler.sample();
  return alt;
}

// ---- main --------------------------------------------------------------------------------

async function main(): Promise<number> {
  const tStart = performance.now();
  const base = fs.mkdtempSync(path.join(process.env.KINKO_BENCH_DIR ?? os.tmpdir(), 'kinko-upload-bench-'));
  const dataDir = path.join(base, 'data');
  const srcDir = path.join(base, 'src');
  const sinkDir = path.join(base, 'sink');
  const tmpDir = path.join(base, 'tmp');
  const gnupgHome = path.join(base, 'gnupg');
  for (const d of [dataDir, srcDir, sinkDir, tmpDir]) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(gnupgHome, { mode: 0o700 });
  const gnupg: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: gnupgHome };

  let deps: Deps | undefined;
  let server: Child | undefined;
  let sink: Child | undefined;
  let sampler: RssSampler | undefined;
  const alts: AltServer[] = [];
  const watchdog = setTimeout(() => {
    console.error(`\nbench exceeded --timeout-min ${timeoutMin}: stopping`);
    sampler?.stop();
    server?.proc.kill('SIGKILL');
    sink?.proc.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    void run('gpgconf', ['--kill', 'all'], { env: gnupg }).finally(() => {
      fs.rmSync(base, { recursive: true, force: true });
      process.exit(1);
    });
  }, timeoutMin * 60_000);
  watchdog.unref();
  const onSigint = () => {
    server?.proc.kill('SIGKILL');
    sink?.proc.kill('SIGKILL');
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(base, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSigint);

  try {
    // -- arrange: data folder with office key, company, client user (as the tests do)
    const config = loadConfig({ KINKO_DATA_DIR: dataDir, KINKO_LOG_LEVEL: 'warn' });
    deps = await buildDeps(config);
    const key = await installOfficeKey(deps);
    const company = await makeCompany(deps, 'ベンチ株式会社');
    const user = await makeUser(deps, { role: 'client', companyId: company.id });
    // The office key pair into a throwaway GnuPG home: the public part to encrypt
    // (peer, pre-encryption), the secret part to decrypt what the server stored.
    const keyFile = path.join(tmpDir, 'office-key.asc');
    fs.writeFileSync(keyFile, key.privateArmored);
    const imp = await run('gpg', ['--batch', '--import', keyFile], { env: gnupg });
    fs.rmSync(keyFile);
    if (imp.code !== 0) throw new Error(`gpg --import: ${imp.stderr}`);
    const fpr = key.fingerprint.toUpperCase();
    clockTicks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    const gpgCheck = { env: gnupg, tmpDir };
    const gpgEncrypt = (input: string, output: string) =>
      run('gpg', ['--batch', '--yes', '--trust-model', 'always', '--compress-algo', 'none', '-e', '-r', fpr, '-o', output, input], { env: gnupg });

    // -- sources: the CSV as parts the server accepts, the same bytes as one file, the parts pre-encrypted
    const totalBytes = sizeMiB * MiB;
    const nParts = Math.ceil(totalBytes / limits.upload.maxFileBytes);
    if (nParts > limits.upload.maxFilesPerRequest) throw new Error(`--size-mib ${sizeMiB} needs ${nParts} files, more than the server's ${limits.upload.maxFilesPerRequest} per request`);
    const partBytes = Array.from({ length: nParts }, (_, i) => Math.floor(totalBytes / nParts) + (i < totalBytes % nParts ? 1 : 0));
    const tGen = performance.now();
    const bigCsv = path.join(srcDir, 'big.csv');
    const bigWs = fs.createWriteStream(bigCsv);
    const plainParts: Array<{ file: string; bytes: number; sha: string }> = [];
    for (let i = 0; i < nParts; i++) {
      const file = path.join(srcDir, `roster-${String(i + 1).padStart(2, '0')}.csv`);
      const ws = fs.createWriteStream(file);
      const h = createHash('sha256');
      for (const c of csvChunks(partBytes[i]!, i * 10_000_000)) {
        h.update(c);
        await writeAll(ws, c);
        await writeAll(bigWs, c);
      }
      await endStream(ws);
      plainParts.push({ file, bytes: partBytes[i]!, sha: h.digest('hex') });
    }
    await endStream(bigWs);
    const encParts: Array<{ file: string; bytes: number; sha: string }> = [];
    for (const p of plainParts) {
      const file = `${p.file}.gpg`;
      const r = await gpgEncrypt(p.file, file);
      if (r.code !== 0) throw new Error(`gpg -e: ${r.stderr}`);
      const { hex, bytes } = await sha256File(file);
      encParts.push({ file, bytes, sha: hex });
    }
    const encBytes = encParts.reduce((a, p) => a + p.bytes, 0);

    // load sources: `concurrency` distinct files of loadMiB (first row differs), plain and/or pre-encrypted
    const loadBytes = loadMiB * MiB;
    const loadBody = Buffer.concat([...csvChunks(loadBytes, 10_000_000)]);
    const loadSources: Array<{ file: string; kind: 'plain' | 'encrypted'; sha: string; plainSha: string }> = [];
    for (let i = 0; i < concurrency; i++) {
      const kind = loadKind === 'mixed' ? (i % 2 ? 'encrypted' : 'plain') : loadKind;
      const plainFile = path.join(srcDir, `load-${String(i).padStart(3, '0')}.csv`);
      const own = Buffer.from(`${HEADER}S${String(i).padStart(9, '0')},ベンチ 太郎,ベンチ タロウ,負荷試験,2024/04/01,${i},0\n`);
      const content = Buffer.concat([own, loadBody.subarray(HEADER.length, loadBytes - own.length + HEADER.length)]);
      fs.writeFileSync(plainFile, content);
      const plainSha = createHash('sha256').update(content).digest('hex');
      if (kind === 'plain') {
        loadSources.push({ file: plainFile, kind, sha: plainSha, plainSha });
      } else {
        const r = await gpgEncrypt(plainFile, `${plainFile}.gpg`);
        if (r.code !== 0) throw new Error(`gpg -e: ${r.stderr}`);
        fs.rmSync(plainFile);
        loadSources.push({ file: `${plainFile}.gpg`, kind, sha: (await sha256File(`${plainFile}.gpg`)).hex, plainSha });
      }
    }
    // Flush the sources' dirty pages now, so their writeback does not compete with the first measurement.
    await run('sync', []);
    const genSecs = (performance.now() - tGen) / 1000;

    // -- the real server
    const port = await freePort();
    server = await startChild(
      // KINKO_BENCH_SERVER_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      [...(process.env.KINKO_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean), 'bin/kinko.js', 'serve'],
      childEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port), KINKO_HOST: '127.0.0.1', KINKO_LOG_LEVEL: 'warn' }),
      port,
      path.join(base, 'server.log'),
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    );
    const api = `http://127.0.0.1:${port}/api/v1`;
    sampler = new RssSampler(server.proc.pid!);
    const rssAtStart = sampler.sample();

    const token = await apiLogin(api, company, user);
    const auth = `Authorization: Bearer ${token}`;
    let uploadsDone = 0;
    const problems: string[] = [];

    // warm-up: one 1 MiB upload of each kind (lazy modules, JIT, first DB writes)
    const warmPlain = path.join(tmpDir, 'warm-up.csv');
    fs.writeFileSync(warmPlain, Buffer.concat([...csvChunks(MiB)]));
    if ((await gpgEncrypt(warmPlain, `${warmPlain}.gpg`)).code !== 0) throw new Error('gpg -e (warm-up) failed');
    for (const file of [warmPlain, `${warmPlain}.gpg`]) {
      const r = await curlUpload(`${api}/drops`, [file], [auth], path.join(tmpDir, 'resp.json'));
      fs.rmSync(file);
      if (r.status !== 201) throw new Error(`warm-up upload: ${r.status} ${r.body}`);
      for (const rc of receiptsOf(r.body)) problems.push(...(await checkReceipt(deps, rc, {}, gpgCheck, true)));
      uploadsDone++;
    }
    await sleep(1000);
    const rssBaseline = sampler.sample();

    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    const fsType = (await run('findmnt', ['-n', '-o', 'FSTYPE', '-T', base]).catch(() => undefined))?.stdout.trim() || 'unknown fs';
    console.log(`kinko upload bench — node ${process.version}, ${os.cpus().length} CPU(s) ${cpu}, load ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);
    console.log(`folder ${base} (${fsType}); server: node bin/kinko.js serve, pid ${server.proc.pid}, SQLite + local storage; clients: curl (1–2), fetch (4)`);
    console.log(`${sizeMiB} MiB = ONE request of ${nParts} file(s) of ${fmt(partBytes[0]! / MiB)} MiB (server limit ${limits.upload.maxFileBytes / MiB} MiB per file, ${limits.upload.maxFilesPerRequest} per request); ${reps} run(s) each, median`);
    console.log(`sources generated in ${fmt(genSecs)} s; server RSS at start ${fmt(rssAtStart / MiB)} MiB, after login + warm-up ${fmt(rssBaseline / MiB)} MiB\n`);

    // -- comparison servers: the same kinko with another KINKO_UPLOAD_ENCRYPT (--compare), each on a data folder of its own
    for (const mode of compareModes) alts.push(await startAltServer(mode, base, tmpDir, gpgCheck));

    // -- 1 + 2, interleaved: per round every contestant once, the order rotated each round:
    //    gpg -e, kinko plain (server encrypts), each comparison server plain, kinko pre-encrypted (stored as is), the sink
    const sinkPort = await freePort();
    sink = await startChild(['--import', 'tsx', 'bench/upload/sink-server.ts', sinkDir, String(sinkPort)], childEnv({}), sinkPort, path.join(base, 'sink.log'), async () =>
      fs.readFileSync(path.join(base, 'sink.log'), 'utf8').includes('listening'),
    );
    const sinkSampler = new RssSampler(sink.proc.pid!);
    const gpgSecs: number[] = [];
    const gpgCpu: number[] = [];
    const plainSecs: number[] = [];
    const plainCpu: number[] = [];
    const sinkSecs: number[] = [];
    const sinkCpu: number[] = [];
    const encSecs: number[] = [];
    const encCpu: number[] = [];
    const serverPid = server.proc.pid!;
    let plainPeak = 0;
    let plainHwm = 0;
    let encPeak = 0;
    let encHwm = 0;
    for (let rep = 0; rep < reps; rep++) {
      const gpgRun = async () => {
        const r = await runCpu('gpg', ['--batch', '--yes', '--trust-model', 'always', '--compress-algo', 'none', '-e', '-r', fpr, '-o', '/dev/null', bigCsv], gnupg);
        if (r.code !== 0) throw new Error(`gpg -e: ${r.stderr}`);
        gpgSecs.push(r.secs);
        gpgCpu.push(r.cpu);
      };
      const kinkoPlain = async () => {
        sampler!.reset();
        const cpu0 = cpuOf(serverPid);
        const r = await curlUpload(`${api}/drops`, plainParts.map((p) => p.file), [auth], path.join(tmpDir, 'resp.json'));
        plainCpu.push(cpuOf(serverPid) - cpu0);
        plainPeak = Math.max(plainPeak, sampler!.peak);
        plainHwm = Math.max(plainHwm, sampler!.hwm());
        if (r.status !== 201) throw new Error(`plain upload: ${r.status} ${r.body.slice(0, 500)}`);
        plainSecs.push(r.secs);
        const rcs = receiptsOf(r.body);
        if (rcs.length !== nParts) problems.push(`plain upload: ${rcs.length} receipts for ${nParts} files`);
        for (const [i, rc] of rcs.entries()) {
          // Decrypt the first run's objects: the ciphertext must hold exactly the bytes sent.
          problems.push(...(await checkReceipt(deps!, rc, rep === 0 ? { plainSha: plainParts[i]!.sha } : {}, gpgCheck, true)));
          uploadsDone++;
        }
      };
      const altPlain = (alt: AltServer) => async () => {
        const r = await alt.upload(plainParts.map((p) => p.file), rep === 0 ? plainParts.map((p) => p.sha) : undefined);
        problems.push(...r.problems);
      };
      const sinkRun = async () => {
        const cpu0 = cpuOf(sink!.proc.pid!);
        const r = await curlUpload(`http://127.0.0.1:${sinkPort}/`, encParts.map((p) => p.file), [auth], path.join(tmpDir, 'resp.json'));
        sinkCpu.push(cpuOf(sink!.proc.pid!) - cpu0);
        if (r.status !== 201) throw new Error(`sink upload: ${r.status} ${r.body}`);
        const got = JSON.parse(r.body) as { file: string; bytes: number };
        if (got.bytes !== r.uploaded) problems.push(`sink kept ${got.bytes} bytes of ${r.uploaded} sent`);
        fs.rmSync(path.join(sinkDir, got.file));
        sinkSecs.push(r.secs);
      };
      const kinkoEncrypted = async () => {
        sampler!.reset();
        const cpu0 = cpuOf(serverPid);
        const r = await curlUpload(`${api}/drops`, encParts.map((p) => p.file), [auth], path.join(tmpDir, 'resp.json'));
        encCpu.push(cpuOf(serverPid) - cpu0);
        encPeak = Math.max(encPeak, sampler!.peak);
        encHwm = Math.max(encHwm, sampler!.hwm());
        if (r.status !== 201) throw new Error(`pre-encrypted upload: ${r.status} ${r.body.slice(0, 500)}`);
        encSecs.push(r.secs);
        const rcs = receiptsOf(r.body);
        if (rcs.length !== nParts) problems.push(`pre-encrypted upload: ${rcs.length} receipts for ${nParts} files`);
        for (const [i, rc] of rcs.entries()) {
          problems.push(...(await checkReceipt(deps!, rc, { storedSha: encParts[i]!.sha }, gpgCheck, true)));
          uploadsDone++;
        }
      };
      const round = [gpgRun, kinkoPlain, ...alts.map(altPlain), kinkoEncrypted, sinkRun];
      const shift = rep % round.length;
      for (const step of [...round.slice(shift), ...round.slice(0, shift)]) await step();
    }
    const sinkPeak = sinkSampler.peak;
    sinkSampler.stop();
    await sink.stop();
    sink = undefined;
    for (const alt of alts) await alt.stop();

    // -- 4. concurrent load through the API (fetch + FormData from file-backed Blobs)
    sampler.reset();
    const rssBeforeLoad = sampler.sample();
    const loadCpu0 = cpuOf(serverPid);
    interface Done {
      kind: 'plain' | 'encrypted';
      ms: number;
      receipt?: Receipt;
      error?: string;
      src: (typeof loadSources)[number];
    }
    const all: Done[] = [];
    const roundSecs: number[] = [];
    const loadProblems: string[] = [];
    let decrypted = 0;
    for (let round = 0; round < rounds; round++) {
      const t0 = performance.now();
      const done = await Promise.all(
        loadSources.map(async (src): Promise<Done> => {
          const start = performance.now();
          try {
            const form = new FormData();
            form.append('file', await fs.openAsBlob(src.file), path.basename(src.file));
            const res = await fetch(`${api}/drops`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
            const text = await res.text();
            const ms = performance.now() - start;
            if (res.status !== 201) return { kind: src.kind, ms, error: `${res.status} ${text.slice(0, 200)}`, src };
            const rcs = receiptsOf(text);
            if (rcs.length !== 1) return { kind: src.kind, ms, error: `${rcs.length} receipts`, src };
            return { kind: src.kind, ms, receipt: rcs[0], src };
          } catch (e) {
            return { kind: src.kind, ms: performance.now() - start, error: (e as Error).message, src };
          }
        }),
      );
      roundSecs.push((performance.now() - t0) / 1000);
      all.push(...done);
      // Verify this round while the server is idle (not timed): row, stored object, bytes sent; one plain upload per round decrypted.
      let decryptOne = true;
      for (const d of done) {
        if (!d.receipt) {
          loadProblems.push(`round ${round + 1}: ${d.error}`);
          continue;
        }
        uploadsDone++;
        const exp: Expect = d.kind === 'encrypted' ? { storedSha: d.src.sha } : decryptOne ? { plainSha: d.src.plainSha } : {};
        if (d.kind === 'plain' && decryptOne) {
          decryptOne = false;
          decrypted++;
        }
        loadProblems.push(...(await checkReceipt(deps, d.receipt, exp, gpgCheck, true)));
      }
    }
    const loadCpu = cpuOf(serverPid) - loadCpu0;
    const loadPeak = sampler.peak;
    const loadHwm = sampler.hwm();
    const rows = Number(
      (await deps.db.selectFrom('drops').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    );
    const dropsTmp = path.join(dataDir, 'drops', '.tmp');
    const leftovers = fs.existsSync(dropsTmp) ? fs.readdirSync(dropsTmp).length : 0;

    // -- report
    const plainMed = median(plainSecs);
    const gpgMed = median(gpgSecs);
    const encMed = median(encSecs);
    const sinkMed = median(sinkSecs);
    const plainRatio = gpgMed / plainMed;
    const encRatio = sinkMed / encMed;
    // Same bytes of plaintext vs the same request pre-encrypted (a few hundred bytes more): what encrypting costs on top of receiving.
    const plainVsReceive = (totalBytes / plainMed) / (encBytes / encMed);
    const rate = (bytes: number, secs: number) => `${fmt(bytes / MiB / secs)} MiB/s`;
    const table: string[][] = [
      ['', 'kinko', 'peer', 'peer figure', 'kinko/peer', 'target', ''],
      [`plain CSV ${sizeMiB} MiB, server encrypts`, rate(totalBytes, plainMed), 'gpg -e → /dev/null', rate(totalBytes, gpgMed), `${fmt(plainRatio * 100, 0)}%`, `≥ ${TARGET_PLAIN * 100}%`, verdict(plainRatio >= TARGET_PLAIN)],
      [`pre-encrypted ${fmt(encBytes / MiB, 0)} MiB, stored as is`, rate(encBytes, encMed), 'node sink + fsync', rate(encBytes, sinkMed), `${fmt(encRatio * 100, 0)}%`, `≥ ${TARGET_ENCRYPTED * 100}%`, verdict(encRatio >= TARGET_ENCRYPTED)],
    ];
    table.push([`plain CSV ${sizeMiB} MiB vs kinko's own receive`, rate(totalBytes, plainMed), 'kinko, pre-encrypted', rate(encBytes, encMed), `${fmt(plainVsReceive * 100, 0)}%`, `≥ ${TARGET_PLAIN_VS_RECEIVE * 100}%`, verdict(plainVsReceive >= TARGET_PLAIN_VS_RECEIVE)]);
    // The other encryption paths, same rounds (not graded: for choosing the path).
    for (const alt of alts) {
      const m = median(alt.secs);
      table.push([`  same, KINKO_UPLOAD_ENCRYPT=${alt.mode}`, rate(totalBytes, m), 'gpg -e → /dev/null', rate(totalBytes, gpgMed), `${fmt((gpgMed / m) * 100, 0)}%`, '', '']);
      table.push([`  same, KINKO_UPLOAD_ENCRYPT=${alt.mode}`, rate(totalBytes, m), 'kinko, pre-encrypted', rate(encBytes, encMed), `${fmt((totalBytes / m / (encBytes / encMed)) * 100, 0)}%`, '', '']);
    }
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    for (const r of table) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    const secs = (xs: number[]) => xs.map((x) => fmt(x, 2)).join('/');
    const altRuns = (f: (a: AltServer) => number[]) => alts.map((a) => `; ${a.mode} plain ${secs(f(a))}`).join('');
    console.log(`runs, wall s: kinko plain ${secs(plainSecs)}, gpg ${secs(gpgSecs)}; kinko pre-encrypted ${secs(encSecs)}, sink ${secs(sinkSecs)}${altRuns((a) => a.secs)}`);
    console.log(`runs, CPU s (server process / gpg / sink process, user+sys): kinko plain ${secs(plainCpu)}, gpg ${secs(gpgCpu)}; kinko pre-encrypted ${secs(encCpu)}, sink ${secs(sinkCpu)}${altRuns((a) => a.cpu)}`);
    const perCpu = (bytes: number, cpu: number[]) => `${fmt(bytes / MiB / median(cpu))} MiB per CPU-s`;
    console.log(
      `by CPU time (less sensitive to other load): kinko plain ${perCpu(totalBytes, plainCpu)} vs gpg ${perCpu(totalBytes, gpgCpu)} = ${fmt((median(gpgCpu) / median(plainCpu)) * 100, 0)}%; ` +
        `kinko pre-encrypted ${perCpu(encBytes, encCpu)} vs sink ${perCpu(encBytes, sinkCpu)} = ${fmt((median(sinkCpu) / median(encCpu)) * 100, 0)}%`,
    );
    console.log('');

    const bigPeak = Math.max(plainPeak, encPeak);
    const growthOk = bigPeak - rssBaseline < TARGET_RSS_MIB * MiB;
    const rssOk = bigPeak < TARGET_RSS_MIB * MiB;
    const growth = (p: number) => `${p >= rssBaseline ? '+' : ''}${fmt((p - rssBaseline) / MiB)} MiB`;
    console.log(`server RSS, baseline ${fmt(rssBaseline / MiB)} MiB (idle, after login + warm-up), sampled every 50 ms:`);
    console.log(`  during plain ${sizeMiB} MiB uploads:         peak ${fmt(plainPeak / MiB)} MiB (${growth(plainPeak)}), kernel VmHWM ${fmt(plainHwm / MiB)} MiB`);
    console.log(`  during pre-encrypted ${sizeMiB} MiB uploads: peak ${fmt(encPeak / MiB)} MiB (${growth(encPeak)}), kernel VmHWM ${fmt(encHwm / MiB)} MiB`);
    for (const a of alts) console.log(`  ${a.mode} server, plain uploads:         peak ${fmt(a.peak / MiB)} MiB (+${fmt((a.peak - a.baseline) / MiB)} MiB over its own ${fmt(a.baseline / MiB)} MiB)`);
    console.log(`  peak − baseline < ${TARGET_RSS_MIB} MiB: ${verdict(growthOk)};  peak < ${TARGET_RSS_MIB} MiB: ${verdict(rssOk)}   (peer sink process peak ${fmt(sinkPeak / MiB)} MiB)`);
    console.log('');

    const ok = all.filter((d) => d.receipt);
    const lat = (kind?: string) => {
      const xs = ok.filter((d) => !kind || d.kind === kind).map((d) => d.ms / 1000);
      return xs.length ? `p50 ${fmt(pct(xs, 50), 2)} s, p95 ${fmt(pct(xs, 95), 2)} s, max ${fmt(Math.max(...xs), 2)} s (n=${xs.length})` : 'n=0';
    };
    const nPlain = loadSources.filter((s) => s.kind === 'plain').length;
    const failed = all.length - ok.length;
    const corrupted = loadProblems.filter((p) => !p.startsWith('round ')).length;
    const totalUploads = rounds * concurrency;
    const loadOk = failed === 0 && corrupted === 0 && rows === uploadsDone && leftovers === 0 && loadPeak < TARGET_LOAD_RSS_MIB * MiB;
    const loadBytesAll = loadSources.reduce((a, s) => a + fs.statSync(s.file).size, 0) * rounds;
    console.log(
      `load: ${concurrency} concurrent × ${loadMiB} MiB × ${rounds} rounds = ${totalUploads} uploads via the API (${loadKind}: ${nPlain} plain CSV, server-encrypted + ${concurrency - nPlain} pre-encrypted per round)`,
    );
    console.log(`  latency all:           ${lat()}`);
    if (loadKind === 'mixed') {
      console.log(`  latency plain:         ${lat('plain')}`);
      console.log(`  latency pre-encrypted: ${lat('encrypted')}`);
    }
    console.log(`  rounds, s: ${secs(roundSecs)} — ${rate(loadBytesAll, roundSecs.reduce((a, b) => a + b, 0))} aggregate; server CPU ${fmt(loadCpu)} s`);
    console.log(
      `  failed ${failed}, corrupted ${corrupted} (each receipt vs its row and the stored object's SHA-256/size; pre-encrypted also vs the bytes sent; ${decrypted} plain decrypted by gpg and compared)`,
    );
    console.log(`  drops rows ${rows} = uploads acknowledged in this run ${uploadsDone}: ${rows === uploadsDone ? 'yes' : 'NO'}; temp files left in drops/.tmp: ${leftovers}`);
    console.log(`  server RSS: before ${fmt(rssBeforeLoad / MiB)} MiB, peak ${fmt(loadPeak / MiB)} MiB (kernel VmHWM ${fmt(loadHwm / MiB)} MiB) [target < 1 GiB: ${verdict(loadPeak < TARGET_LOAD_RSS_MIB * MiB)}]`);
    console.log(`  zero lost or corrupted: ${verdict(loadOk)}`);
    console.log('');
    const allProblems = [...problems, ...loadProblems];
    if (allProblems.length) {
      console.log(`problems (${allProblems.length}):`);
      for (const p of allProblems.slice(0, 20)) console.log(`  ${p}`);
    }
    console.log(`bench took ${fmt((performance.now() - tStart) / 1000)} s`);
    return plainRatio >= TARGET_PLAIN && plainVsReceive >= TARGET_PLAIN_VS_RECEIVE && encRatio >= TARGET_ENCRYPTED && rssOk && loadOk && allProblems.length === 0 ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    sampler?.stop();
    await sink?.stop();
    for (const alt of alts) await alt.stop().catch(() => {});
    await server?.stop();
    await deps?.close().catch(() => {});
    await run('gpgconf', ['--kill', 'all'], { env: gnupg }).catch(() => {});
    fs.rmSync(base, { recursive: true, force: true });
    process.off('SIGINT', onSigint);
  }
}

// Output piped into `head` and closed early: keep going so the cleanup still runs.
process.stdout.on('error', () => {});

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
