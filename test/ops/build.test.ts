import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/servers.js';

/**
 * The compiled server (bin/build.js, run by bin/kinko.js): a copy of the
 * project without dist/ — as a fresh clone is — in a temp folder, driven as
 * a real process.
 */
const PROJECT = ['bin', 'server', 'storage-adapters', 'views', 'static', 'package.json', 'tsconfig.json'];

function copyProject(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-build-')), 'kinko');
  for (const entry of PROJECT) fs.cpSync(path.resolve(entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.resolve('node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

const builds = (dir: string) => (fs.existsSync(path.join(dir, 'dist')) ? fs.readdirSync(path.join(dir, 'dist')).sort() : []);

function kinko(dir: string, args: string[]) {
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'kinko.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() },
    timeout: 60_000,
  });
}

function kinkoAsync(dir: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(dir, 'bin', 'kinko.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (status) => resolve({ status, stderr }));
  });
}

describe('the compiled server (dist/)', () => {
  it('when a source file changes after a build, the next start runs a new build of the changed sources, never the stale one', () => {
    const dir = copyProject();
    const first = kinko(dir, ['help']);
    expect(first.status).toBe(0);
    expect(first.stderr).toBe('');
    const before = builds(dir);
    expect(before).toEqual([expect.stringMatching(/^kinko-[0-9a-f]{16}$/)]);

    const cli = path.join(dir, 'server', 'cli.ts');
    fs.writeFileSync(cli, fs.readFileSync(cli, 'utf8').replace('show this list', 'show this list (edited)'));
    const second = kinko(dir, ['help']);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('show this list (edited)');
    expect(builds(dir)).toHaveLength(2);
    expect(builds(dir)).not.toEqual(before);
  }, 120_000);

  it('when two instances start at once on a fresh install, both run and one build is left, no half-written files', async () => {
    const dir = copyProject();
    const both = await Promise.all([kinkoAsync(dir, ['help']), kinkoAsync(dir, ['help'])]);
    expect(both).toEqual([{ status: 0, stderr: '' }, { status: 0, stderr: '' }]);
    expect(builds(dir)).toEqual([expect.stringMatching(/^kinko-[0-9a-f]{16}$/)]);
  }, 120_000);

  it('when the built install is moved to a path with spaces, a dot-folder and Japanese, it starts without rebuilding: migrations, views, texts and /healthz work', async () => {
    const dir = copyProject();
    expect(kinko(dir, ['help']).status).toBe(0);
    const built = builds(dir);
    const moved = path.join(path.dirname(dir), '.b X', '金庫');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(dir, moved);

    const data = path.join(path.dirname(moved), 'data');
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(moved, 'bin', 'kinko.js'), 'serve'], {
      cwd: moved,
      env: { PATH: process.env.PATH ?? '', KINKO_DATA_DIR: data, KINKO_PORT: String(port), KINKO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      let health: unknown;
      const end = Date.now() + 30_000;
      while (!health && Date.now() < end && child.exitCode === null) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? r.json() : undefined), () => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health).toEqual({ status: 'ok', checks: { database: 'ok', drops: 'ok', vault: 'ok' } });
      const home = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'accept-language': 'ja' } });
      expect(await home.text()).toContain('kinko へようこそ');
      const css = await fetch(`http://127.0.0.1:${port}/static/css/kinko.css`);
      expect(css.status).toBe(200);
      expect(builds(moved)).toEqual(built);
      expect(out).not.toMatch(/\n\s+at /);
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
  }, 120_000);
});
