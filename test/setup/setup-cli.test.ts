import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { createApp } from '../../server/app.js';
import { newTotpSecret } from '../../server/auth/totp.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps } from '../../server/deps.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { LogSink } from '../helpers/app.js';
import { createLogger } from '../../server/log/logger.js';
import { DIRECTOR, totpCode } from './setup-helpers.js';

const bin = path.resolve('bin/kinko.js');
const dirs: string[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-setup-cli-'));
  dirs.push(d);
  return d;
}

/** Runs `kinko setup` with stdin closed (not a terminal), as a script would. */
function runSetup(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'setup', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function openInstall(dataDir: string) {
  const deps = await buildDeps(loadConfig({ KINKO_DATA_DIR: dataDir }), { logger: createLogger({ level: 'silent', destination: new LogSink() as never }) });
  return deps;
}

describe('`npx kinko setup` (the same setup from a terminal)', () => {
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('with everything given, it creates the office, the one director and the office key, and prints where to sign in', async () => {
    const dir = tempDir();
    const secret = newTotpSecret();
    const env = { KINKO_DATA_DIR: dir, KINKO_SETUP_PASSWORD: DIRECTOR.password, KINKO_SETUP_KEY_PASSPHRASE: DIRECTOR.keyPassphrase };
    const args = ['--office', DIRECTOR.officeName, '--name', DIRECTOR.directorName, '--login', 'Yamada', '--totp-secret', secret];
    const r = await runSetup([...args, '--totp-code', await totpCode(secret, new Date())], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('初期設定が完了しました');
    expect(r.stdout).toContain('http://localhost:3000/office/login');
    for (const s of [DIRECTOR.password, DIRECTOR.keyPassphrase]) expect(r.stdout).not.toContain(s);

    const deps = await openInstall(dir);
    try {
      const users = await deps.db.selectFrom('users').selectAll().execute();
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ role: 'director', login_id: 'yamada', key_holder: 1, totp_enrolled: 1 });
      expect(await deps.db.selectFrom('office').select('name').execute()).toEqual([{ name: DIRECTOR.officeName }]);
      const app = await createApp(deps);
      const served = await request(app).get('/office-key.asc');
      expect(served.status).toBe(200);
      const fpr = (await openpgp.readKey({ armoredKey: served.text })).getFingerprint();
      expect(r.stdout.replace(/ /g, '')).toContain(fpr.toUpperCase());
      expect((await unlockOfficeKey(deps, users[0]!.id, DIRECTOR.keyPassphrase)).isDecrypted()).toBe(true);
      const actions = (await deps.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((a) => a.action);
      expect(actions).toEqual(['setup.complete', 'key.holder.add']);
    } finally {
      await deps.close();
    }

    // A second run refuses: there is already a director.
    const again = await runSetup([...args, '--login', 'other', '--totp-code', await totpCode(secret, new Date())], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('すでに完了しています');
  });

  it('without a terminal and with values missing, it names what to give and creates nothing', async () => {
    const dir = tempDir();
    const r = await runSetup(['--office', DIRECTOR.officeName], { KINKO_DATA_DIR: dir });
    expect(r.status).toBe(2);
    for (const s of ['--name', '--login', 'KINKO_SETUP_PASSWORD', 'KINKO_SETUP_KEY_PASSPHRASE', '--totp-code']) expect(r.stderr).toContain(s);
    const deps = await openInstall(dir);
    try {
      expect(await deps.db.selectFrom('users').select('id').execute()).toEqual([]);
    } finally {
      await deps.close();
    }
  });

  it('a wrong code or a passphrase equal to the password is explained, and nothing is created', async () => {
    const dir = tempDir();
    const secret = newTotpSecret();
    const good = await totpCode(secret, new Date());
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
    const r = await runSetup(
      ['--office', DIRECTOR.officeName, '--name', DIRECTOR.directorName, '--login', 'yamada', '--totp-secret', secret, '--totp-code', wrong],
      { KINKO_DATA_DIR: dir, KINKO_SETUP_PASSWORD: DIRECTOR.password, KINKO_SETUP_KEY_PASSPHRASE: DIRECTOR.password },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('確認コードが正しくありません');
    expect(r.stderr).toContain('ログインのパスワードとは別のもの');
    expect(r.stderr).not.toContain(DIRECTOR.password);
    const deps = await openInstall(dir);
    try {
      expect(await deps.db.selectFrom('users').select('id').execute()).toEqual([]);
      expect(await deps.db.selectFrom('office_keys').select('fingerprint').execute()).toEqual([]);
    } finally {
      await deps.close();
    }
  });
});
