import { asAdmin } from '../helpers/databases.js';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import type { Deps } from '../../server/deps.js';
import { createLogger } from '../../server/log/logger.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';
import { freePort } from '../helpers/servers.js';
import { createTestBucket } from '../storage/s3-bucket.js';

/**
 * The scaled deployment on loopback (issue 17): the suite's throwaway
 * PostgreSQL (a fresh database), moto with two versioned buckets, a real SMTP
 * sink, two `node bin/kinko.js serve` processes with the same KINKO_SECRET and
 * KINKO_AUDIT_KEY, and Debian's nginx in front — plain round robin, no
 * stickiness — running as a child of the test (daemon off, its own prefix in a
 * temp folder), configured like docs/nginx.conf.
 *
 * Outside CI a missing part (PostgreSQL, moto, nginx) skips the suite with
 * the reason; under CI=true the suite runs and fails.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');
export const NGINX = process.env.KINKO_TEST_NGINX ?? '/usr/sbin/nginx';

export function missingParts(): string[] {
  const out: string[] = [];
  if (!process.env.KINKO_TEST_PG_URL) out.push('PostgreSQL');
  if (!process.env.KINKO_TEST_MOTO_ENDPOINT) out.push('moto');
  if (!fs.existsSync(NGINX)) out.push(`nginx (${NGINX}; apt-get install -y nginx)`);
  return out;
}

export interface Instance {
  name: string;
  port: number;
  base: string;
  proc: ChildProcess;
  out(): string;
  alive(): boolean;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  /** The load balancer: the office's one address. */
  lb: string;
  instances: Instance[];
  env: Record<string, string>;
  /** The same database, buckets and secrets, in the test process (arranging and checking). */
  deps: Deps;
  smtp: SmtpSink;
  /** Starts (again) instance `i` on its port. */
  start(i: number, extra?: Record<string, string>): Promise<Instance>;
  /** nginx's access log: one line per request with the instance that answered it. */
  upstreams(): string[];
  /** nginx's error log (why it answered 502, when it did). */
  nginxErrors(): string;
  stop(): Promise<void>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT' && k !== 'CI') env[k] = v;
  return { ...env, ...extra };
}

const secret = () => crypto.randomBytes(32).toString('base64');

export async function startCluster(opts: { instances?: number; env?: Record<string, string> } = {}): Promise<Cluster> {
  const count = opts.instances ?? 2;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cluster-'));
  const adminUrl = process.env.KINKO_TEST_PG_URL!;
  const dbName = `kinko_cluster_${crypto.randomBytes(5).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const endpoint = process.env.KINKO_TEST_MOTO_ENDPOINT!;
  const [drops, vault] = [await createTestBucket(endpoint, { versioning: true }), await createTestBucket(endpoint, { versioning: true })];
  const smtp = await startSmtpSink();
  const lbPort = await freePort();
  const lb = `http://127.0.0.1:${lbPort}`;
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const env: Record<string, string> = {
    KINKO_PUBLIC_URL: lb,
    KINKO_TRUST_PROXY: 'true',
    KINKO_DATABASE_URL: dbUrl.toString(),
    KINKO_STORAGE: 's3',
    KINKO_S3_ENDPOINT: endpoint,
    KINKO_S3_FORCE_PATH_STYLE: 'true',
    KINKO_S3_REGION: 'us-east-1',
    KINKO_S3_DROPS_BUCKET: drops.bucket,
    KINKO_S3_VAULT_BUCKET: vault.bucket,
    KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles-unused',
    KINKO_S3_ACCESS_KEY_ID: drops.accessKeyId,
    KINKO_S3_SECRET_ACCESS_KEY: drops.secretAccessKey,
    KINKO_SMTP_URL: smtp.url,
    KINKO_MAIL_FROM: 'kinko@office.example',
    KINKO_SECRET: secret(),
    KINKO_AUDIT_KEY: secret(),
    KINKO_NOTIFY_BATCH_SECONDS: '3',
    KINKO_AUDIT_CHECKPOINT_MINUTES: '0',
    KINKO_LOG_LEVEL: 'info',
    ...opts.env,
  };
  // The test's own Deps: migrations run here first, so the instances start on a ready schema.
  const deps = await buildDeps(loadConfig({ ...env, KINKO_DATA_DIR: path.join(dir, 'test'), KINKO_LOG_LEVEL: 'silent' }), { logger: createLogger({ level: 'silent' }) });

  const instances: Instance[] = [];
  const start = async (i: number, extra: Record<string, string> = {}): Promise<Instance> => {
    const port = ports[i]!;
    const base = `http://127.0.0.1:${port}`;
    const data = path.join(dir, `kinko-${i + 1}`);
    fs.mkdirSync(data, { recursive: true });
    const proc = spawn(process.execPath, [BIN, 'serve'], {
      cwd: ROOT,
      env: cleanEnv({ ...env, KINKO_DATA_DIR: data, KINKO_HOST: '127.0.0.1', KINKO_PORT: String(port), KINKO_INSTANCE_URL: base, ...extra }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    proc.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const alive = () => proc.exitCode === null && proc.signalCode === null;
    const until = Date.now() + 60_000;
    while (!text.includes('ingest recovery finished')) {
      if (!alive()) throw new Error(`kinko-${i + 1} exited while starting:\n${text}`);
      if (Date.now() > until) throw new Error(`kinko-${i + 1} did not finish starting:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const inst: Instance = {
      name: `kinko-${i + 1}`,
      port,
      base,
      proc,
      out: () => text,
      alive,
      async kill9() {
        if (alive()) proc.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (alive()) proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      },
    };
    instances[i] = inst;
    // Restarted behind a running nginx: nginx still counts it as failed (fail_timeout) until a request reaches it again.
    // Wait for that, so the next test starts with both instances in the rotation (else a kill -9 of the other one
    // inside those seconds leaves nginx with no live upstream at all).
    if (nginx) await untilRouted(nginx, lb, port);
    return inst;
  };
  // One after the other: both would run the (idempotent) start-up recovery at once otherwise, which is fine but noisy.
  let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
  try {
    for (let i = 0; i < count; i++) await start(i);
    nginx = await startNginx(dir, lbPort, ports);
  } catch (err) {
    await Promise.all(instances.map((i) => i.kill9()));
    await deps.close();
    await smtp.close();
    throw err;
  }
  return {
    lb,
    instances,
    env,
    deps,
    smtp,
    start,
    upstreams: () => accessLines(nginx!),
    nginxErrors: () => (fs.existsSync(nginx!.errorLog) ? fs.readFileSync(nginx!.errorLog, 'utf8') : ''),
    async stop() {
      await nginx!.stop();
      await Promise.all(instances.map((i) => i.stop()));
      await deps.close();
      await smtp.close();
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx's access log, a line per request: method, path, status, the instance that answered. */
function accessLines(nginx: { accessLog: string }): string[] {
  return fs.existsSync(nginx.accessLog) ? fs.readFileSync(nginx.accessLog, 'utf8').split('\n').filter(Boolean) : [];
}

/** Sends /healthz through nginx until its access log shows one answered by the instance on `port` (≤ 20 s). */
async function untilRouted(nginx: { accessLog: string }, lb: string, port: number): Promise<void> {
  const answered = () => accessLines(nginx).filter((l) => l.endsWith(`/healthz 200 127.0.0.1:${port}`)).length;
  const before = answered();
  const until = Date.now() + 20_000;
  while (answered() === before) {
    if (Date.now() > until) throw new Error(`nginx did not route to 127.0.0.1:${port} again within 20 s`);
    await fetch(`${lb}/healthz`).then((r) => r.arrayBuffer()).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * nginx as docs/nginx.conf configures it (round robin, streamed request
 * bodies), with paths of its own under `dir` and the answering upstream in
 * its access log.
 */
async function startNginx(dir: string, port: number, upstreams: number[]): Promise<{ accessLog: string; errorLog: string; stop(): Promise<void> }> {
  const prefix = path.join(dir, 'nginx');
  fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'temp'), { recursive: true });
  const accessLog = path.join(prefix, 'logs', 'access.log');
  const root = process.getuid?.() === 0;
  const conf = `
${root ? 'user root;' : ''}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  log_format upstream_line '$request_method $uri $status $upstream_addr';
  access_log ${accessLog} upstream_line;
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
${fs.readFileSync(path.join(ROOT, 'docs', 'nginx.conf'), 'utf8')
  .replace(/^\s*server kinko-\d+:3000 .*\n/gm, '')
  .replace(/upstream kinko \{/, `upstream kinko { ${upstreams.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join(' ')}`)
  .replace(/listen 80;/, `listen 127.0.0.1:${port};`)}
}
`;
  const confFile = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(confFile, conf);
  const test = spawnSync(NGINX, ['-p', prefix, '-c', confFile, '-t'], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}\n${conf}`);
  const proc = spawn(NGINX, ['-p', prefix, '-c', confFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const until = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`nginx did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    accessLog,
    errorLog: path.join(prefix, 'logs', 'error.log'),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT'); // graceful: workers finish their requests
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
