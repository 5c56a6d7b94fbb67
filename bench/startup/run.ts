/**
 * Start-up bench (issue 17 §5): how long a fresh `kinko serve` takes to a
 * working /healthz, and how much memory the idle server holds after its first
 * pages — each side by side with its peer in the same run.
 *
 *   node --import tsx bench/startup/run.ts [--rounds 3] [--settle-s 3] [--baseline DIR]
 *
 *  1. boot → first 200 from /healthz on an empty data folder, --rounds times,
 *     the variants interleaved round by round:
 *       compiled   node bin/kinko.js serve (what `npm start` runs: dist/)
 *       tsx        the same sources compiled at start by tsx (how kinko ran before)
 *       baseline   DIR/bin/kinko.js serve (another checkout, e.g. the commit before), if given
 *       peer       a bare `node -e` http server answering /healthz
 *  2. idle RSS of the whole process tree (server + its threads' memory + every
 *     child process) after the first pages: a real office (key holder,
 *     company, client — test/helpers/running-kinko.ts), the client signs in
 *     over the API, the director opens /office and /office/drops; then
 *     --settle-s seconds idle and /proc is read. Same variants, one round
 *     each; the peer is the bare server after one request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, rssOf, startRunningKinko } from '../../test/helpers/running-kinko.js';
import { freePort } from '../../test/helpers/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(opt('rounds', '3'));
const SETTLE_MS = Number(opt('settle-s', '3')) * 1000;
const BASELINE = opt('baseline', '');

const TSX_SERVE = ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./server/cli.ts'); await main(['serve']);"];
const PEER = [
  '-e',
  "require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{\"status\":\"ok\"}'); }).listen(+process.env.KINKO_PORT, '127.0.0.1')",
];

interface Variant {
  name: string;
  /** node arguments; for kinko ones the `serve` command is part of them. */
  argv: string[];
  cwd: string;
  kinko: boolean;
}

const variants: Variant[] = [
  { name: 'compiled (npm start)', argv: [path.join(ROOT, 'bin/kinko.js'), 'serve'], cwd: ROOT, kinko: true },
  { name: 'tsx at start', argv: TSX_SERVE, cwd: ROOT, kinko: true },
  ...(BASELINE ? [{ name: `baseline ${path.basename(BASELINE)}`, argv: [path.join(BASELINE, 'bin/kinko.js'), 'serve'], cwd: BASELINE, kinko: true }] : []),
  { name: 'peer: bare node http', argv: PEER, cwd: ROOT, kinko: false },
];

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const treeRss = (pid: number) => [pid, ...descendants(pid)].reduce((sum, p) => sum + rssOf(p), 0);

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  return { ...env, KINKO_LOG_LEVEL: 'warn', ...extra };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

async function bootMs(v: Variant): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-boot-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, v.argv, { cwd: v.cwd, env: cleanEnv({ KINKO_DATA_DIR: dataDir, KINKO_PORT: String(port) }), stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${v.name} exited at start`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      if (performance.now() - started > 60_000) throw new Error(`${v.name}: no /healthz in 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function idleRss(v: Variant): Promise<{ tree: number; server: number; processes: number }> {
  if (!v.kinko) {
    const port = await freePort();
    const child = spawn(process.execPath, v.argv, { cwd: v.cwd, env: cleanEnv({ KINKO_PORT: String(port) }), stdio: 'ignore' });
    try {
      while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      return { tree: treeRss(child.pid!), server: rssOf(child.pid!), processes: 1 + descendants(child.pid!).length };
    } finally {
      await stop(child);
    }
  }
  // startRunningKinko runs `node <nodeArgs> bin/kinko.js serve`; for another entry, its arguments replace the node flags
  // (after `-e …` the trailing `bin/kinko.js serve` are inert argv entries).
  const k = v.argv[0]!.endsWith(path.join('bin', 'kinko.js')) && v.cwd === ROOT
    ? await startRunningKinko({ readyMs: 120_000 })
    : await startRunningKinko({ readyMs: 120_000, nodeArgs: v.cwd === ROOT ? v.argv : ['--input-type=module', '-e', `const { pathToFileURL } = await import('node:url'); process.argv.splice(2, process.argv.length, 'serve'); await import(pathToFileURL(${JSON.stringify(v.argv[0])}).href);`] });
  try {
    for (const p of ['/office', '/office/drops']) {
      const a = await k.get(p);
      if (a.status >= 400) throw new Error(`${v.name}: ${p} answered ${a.status}`);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { tree: treeRss(k.pid), server: rssOf(k.pid), processes: 1 + descendants(k.pid).filter((p) => rssOf(p) > 0).length };
  } finally {
    await k.stop();
  }
}

console.log(`startup bench — ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cores, node ${process.version}`);
console.log(`\n1. boot → /healthz 200 (empty data folder), ${ROUNDS} rounds interleaved`);
const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let r = 0; r < ROUNDS; r++) for (const v of variants) times.get(v.name)!.push(await bootMs(v));
for (const v of variants) {
  const t = times.get(v.name)!;
  console.log(`   ${v.name.padEnd(26)} ${t.map((x) => `${x.toFixed(0).padStart(5)} ms`).join('  ')}   median ${[...t].sort((a, b) => a - b)[t.length >> 1]!.toFixed(0)} ms`);
}
console.log(`\n2. idle RSS after the first pages (${SETTLE_MS / 1000} s settled), whole process tree`);
for (const v of variants) {
  const m = await idleRss(v);
  console.log(`   ${v.name.padEnd(26)} tree ${mib(m.tree).padStart(10)}   server process ${mib(m.server).padStart(10)}   processes ${m.processes}`);
}
console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
