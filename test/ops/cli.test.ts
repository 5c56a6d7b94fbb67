import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/servers.js';

const bin = path.resolve('bin/kinko.js');

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
    timeout: 60_000,
  });
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cli-'));
}

describe('the kinko command', () => {
  it('`kinko help` lists the commands in Japanese and English', () => {
    const r = runCli(['help']);
    expect(r.status).toBe(0);
    for (const c of ['init', 'migrate', 'doctor', 'serve']) expect(r.stdout).toContain(c);
    expect(r.stdout).toContain('使い方');
  });

  it('an unknown command says so in one line and exits 2', () => {
    const r = runCli(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('`kinko init` prepares an empty data folder: database, secrets (owner-only)', () => {
    const dir = tempDir();
    const r = runCli(['init'], { KINKO_DATA_DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'kinko.sqlite'))).toBe(true);
    expect(fs.statSync(path.join(dir, 'secrets')).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(dir, 'secrets', 'audit.key')).mode & 0o077).toBe(0);
    const again = runCli(['migrate'], { KINKO_DATA_DIR: dir });
    expect(again.stdout).toContain('最新');
  });

  it('a bad setting stops start-up with one clear line naming the variable, not a stack trace', () => {
    const r = runCli(['serve'], { KINKO_DATA_DIR: tempDir(), KINKO_STORAGE: 'ftp' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KINKO_STORAGE');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable PostgreSQL gives one clear line, and doctor explains it', () => {
    const env = { KINKO_DATA_DIR: tempDir(), KINKO_DATABASE_URL: 'postgres://kinko:topsecret@nowhere.invalid/kinko' };
    const r = runCli(['serve'], env);
    expect(r.status).toBe(1);
    const first = r.stderr.split('\n')[0]!;
    expect(first).toMatch(/nowhere\.invalid/);
    expect(r.stderr).not.toContain('topsecret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = runCli(['doctor'], env);
    expect(d.status).toBe(1);
    expect(d.stdout).toMatch(/✗ データベース database: .*nowhere\.invalid/);
    expect(d.stdout).toContain('→ Check KINKO_DATABASE_URL');
    expect(d.stdout).not.toContain('topsecret');
  });

  it('doctor on a healthy embedded install says all good', () => {
    const dir = tempDir();
    runCli(['init'], { KINKO_DATA_DIR: dir });
    const d = runCli(['doctor'], { KINKO_DATA_DIR: dir });
    expect(d.stdout).toContain('✓ データベース database');
    expect(d.stdout).toContain('✓ 受信ファイル置き場 drops');
    expect(d.stdout).toContain('✓ 金庫 vault');
    expect(d.stdout).toContain('✓ メール mail');
    expect(d.status).toBe(0);
  });

  it('`npm start` on an empty data folder answers /healthz within 5 s of boot and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'serve'], {
      env: { PATH: process.env.PATH ?? '', KINKO_DATA_DIR: dir, KINKO_PORT: String(port), KINKO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const started = Date.now();
    let health: unknown;
    while (Date.now() - started < 5_000 && !health) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) health = await res.json();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(health).toEqual({ status: 'ok', checks: { database: 'ok', drops: 'ok', vault: 'ok' } });
    const home = await fetch(`http://127.0.0.1:${port}/`);
    expect(await home.text()).toContain('kinko へようこそ');
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(out).not.toMatch(/\n\s+at /);
  }, 30_000);
});
