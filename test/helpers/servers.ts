/**
 * Real servers for the test suite, started once per `npm test` on loopback:
 * moto (S3 with versioning) and a throwaway PostgreSQL (initdb + pg_ctl).
 * When a server cannot be started outside CI the suites that need it skip with
 * a visible reason; under CI=true they fail instead (nothing may skip in CI).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A port nothing listens on, chosen below Linux's ephemeral range
 * (32768–60999): a port the kernel hands out for `listen(0)` can be taken
 * again a moment later as the local end of any outgoing connection, and the
 * server started on it then fails with EADDRINUSE (CI, stop 25).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
    if (tries > 50) throw new Error('no free port between 20000 and 32000');
  }
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

export interface Started {
  env: Record<string, string>;
  stop: () => Promise<void>;
  reason?: string;
}

export async function startMoto(): Promise<Started> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: false,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const up = await waitFor(async () => (await fetch(endpoint + '/')).status < 500, 20_000);
  if (!up) {
    child.kill('SIGKILL');
    return { env: {}, stop: async () => {}, reason: 'moto could not be started (python3 -m moto.server)' };
  }
  return { env: { KINKO_TEST_MOTO_ENDPOINT: endpoint }, stop: () => killChild(child) };
}

function findPgBin(name: string): string | undefined {
  const candidates = [
    ...fs.existsSync('/usr/lib/postgresql')
      ? fs.readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
      : [],
    `/usr/local/bin/${name}`,
    `/usr/bin/${name}`,
  ];
  return candidates.find((c) => fs.existsSync(c));
}

export async function startPostgres(): Promise<Started> {
  const initdb = findPgBin('initdb');
  const pgCtl = findPgBin('pg_ctl');
  if (!initdb || !pgCtl) return { env: {}, stop: async () => {}, reason: 'PostgreSQL (initdb, pg_ctl) is not installed' };
  const isRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pg-'));
  const dataDir = path.join(dir, 'data');
  const sockDir = path.join(dir, 'sock');
  fs.mkdirSync(sockDir);
  // initdb refuses to run as root: run it (and the server) as the postgres user.
  const asUser = (cmd: string, args: string[]) =>
    isRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (isRoot) spawnSync('chown', ['-R', 'postgres', dir]);
  const init = asUser(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  if (init.status !== 0) {
    return { env: {}, stop: async () => {}, reason: `initdb failed: ${(init.stderr || '').slice(0, 300)}` };
  }
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${sockDir} -c fsync=off -c max_connections=200`;
  const start = asUser(pgCtl, ['-D', dataDir, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  if (start.status !== 0) {
    return { env: {}, stop: async () => {}, reason: `pg_ctl start failed: ${(start.stderr || start.stdout || '').slice(0, 300)}` };
  }
  return {
    env: { KINKO_TEST_PG_URL: `postgres://postgres@127.0.0.1:${port}/postgres` },
    stop: async () => {
      asUser(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
