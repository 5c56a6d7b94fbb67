import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../server/config.js';
import { openDatabase, type OpenDatabase } from '../../server/db/connection.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { loadOrCreateSecret } from '../../server/lib/secrets.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { buildChain, entry, flipBit, setHead } from './chain-helpers.js';

const bin = path.resolve('bin/kinko.js');

function kinko(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
      cwd: env.KINKO_DATA_DIR,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.each(testDatabases())('kinko audit:verify and audit:checkpoint on $name', (target) => {
  let opened: OpenedTestDatabase;
  let conn: OpenDatabase;
  let env: Record<string, string>;
  let dataDir: string;
  let key: Buffer;

  beforeAll(async () => {
    opened = await target.open();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-cli-audit-'));
    env = {
      KINKO_DATA_DIR: dataDir,
      KINKO_DATABASE_URL: opened.config.kind === 'postgres' ? opened.config.url : `sqlite:${opened.config.file}`,
    };
    const config = loadConfig(env);
    key = loadOrCreateSecret(config.secretsDir, 'audit', config.auditKey);
    conn = await openDatabase(config.database);
    await migrateToLatest(conn.db);
    await buildChain(conn.db, key, 30);
  });
  afterAll(async () => {
    await conn?.close();
    await opened?.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('an intact trail: verify says how many were checked, in Japanese and English, and exits 0', async () => {
    const r = await kinko(['audit:verify'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('30 件の記録を点検しました');
    expect(r.stdout).toContain('Entries checked: 30.');
  });

  it('checkpoint writes a signed head (including its own entry), tells the director to keep it elsewhere, and verifies against it', async () => {
    const r = await kinko(['audit:checkpoint', '--out', 'cp.json'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('別の場所');
    expect(r.stdout).toContain('somewhere other than the server');
    const cp = JSON.parse(fs.readFileSync(path.join(dataDir, 'cp.json'), 'utf8'));
    expect(cp).toMatchObject({ format: 'kinko-audit-checkpoint/1', seq: 31 });
    expect((await entry(conn.db, 31)).action).toBe('audit.checkpoint');

    const again = await kinko(['audit:checkpoint', '--out', 'cp.json'], env);
    expect(again.status).toBe(1); // never overwrites a kept checkpoint

    const v = await kinko(['audit:verify', '--checkpoint', 'cp.json'], env);
    expect(v.status).toBe(0);
    expect(v.stdout).toContain('31');
  });

  it('an edited checkpoint file is refused', async () => {
    const cp = JSON.parse(fs.readFileSync(path.join(dataDir, 'cp.json'), 'utf8'));
    fs.writeFileSync(path.join(dataDir, 'cp-edited.json'), JSON.stringify({ ...cp, seq: 20 }));
    const r = await kinko(['audit:verify', '--checkpoint=cp-edited.json'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('署名が正しくありません');
  });

  it('a cut-off tail with the head rewound passes alone, but fails against the checkpoint', async () => {
    await conn.db.deleteFrom('audit_log').where('seq', '>', 27).execute();
    await setHead(conn.db, 27);

    const alone = await kinko(['audit:verify'], env);
    expect(alone.status).toBe(0);

    const r = await kinko(['audit:verify', '--checkpoint', 'cp.json'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('seq 28');
    expect(r.stdout).toContain('newest entries were removed');
  });

  it('a flipped bit: verify names the first bad seq and the reason, exits 1, and checkpoint refuses to sign', async () => {
    const e = await entry(conn.db, 12);
    await conn.db.updateTable('audit_log').set({ details: flipBit(e.details, 3) }).where('seq', '=', 12).execute();

    const r = await kinko(['audit:verify'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('seq 12');
    expect(r.stdout).toContain('書き換えられています');
    expect(r.stdout).toContain('MAC mismatch');

    const c = await kinko(['audit:checkpoint', '--out', 'cp2.json'], env);
    expect(c.status).toBe(1);
    expect(fs.existsSync(path.join(dataDir, 'cp2.json'))).toBe(false);
  });

  it('an unknown option is refused in one line', async () => {
    const r = await kinko(['audit:verify', '--frobnicate'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--frobnicate');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
