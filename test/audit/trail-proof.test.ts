import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeScheduledCheckpoint } from '../../server/audit/checkpoint-store.js';
import { loadConfig } from '../../server/config.js';
import { buildDeps, type Deps } from '../../server/deps.js';
import { loadOrCreateServerKey } from '../../server/lib/server-key.js';
import { createLogger } from '../../server/log/logger.js';
import { freePort } from '../helpers/servers.js';
import { setUpOffice } from '../setup/setup-helpers.js';
import { buildChain, clearChain, setHead, shiftSeqs } from './chain-helpers.js';

/**
 * Issue 12 item 11: someone with access to the database only empties the
 * audit trail, or cuts off its oldest or newest entries (rewinding the head).
 * `kinko audit:verify` must not say OK: it fails when the chain does not start
 * at the genesis row, says "tail unprovable" when it has no checkpoint, and
 * compares with the checkpoints the server writes on a schedule into a folder
 * outside the database — catching a cut-off tail without anyone having
 * remembered to take a checkpoint by hand.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'kinko.js');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINKO_') && k !== 'PORT') env[k] = v;
  return { ...env, KINKO_LOG_LEVEL: 'info', ...extra };
}

function kinko(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

const quiet = () => createLogger({ level: 'silent' });

describe('audit:verify says what it cannot prove; the server keeps checkpoints outside the database', () => {
  const dirs: string[] = [];
  const temp = (p: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A set-up office (setup writes the first audit entries) plus `extra` entries; the database stays closed. */
  async function office(extra = 10): Promise<{ env: Record<string, string>; open: () => Promise<Deps> }> {
    const dataDir = temp('kinko-trail-');
    const env = { KINKO_DATA_DIR: dataDir, KINKO_AUDIT_CHECKPOINT_DIR: path.join(temp('kinko-cp-'), 'checkpoints') };
    const open = () => buildDeps(loadConfig({ ...env, KINKO_LOG_LEVEL: 'silent' }), { logger: quiet() });
    const deps = await open();
    try {
      await setUpOffice(deps);
      await buildChain(deps.db, deps.secrets.audit, extra);
    } finally {
      await deps.close();
    }
    return { env, open };
  }

  async function tamper(open: () => Promise<Deps>, fn: (deps: Deps) => Promise<void>): Promise<void> {
    const deps = await open();
    try {
      await fn(deps);
    } finally {
      await deps.close();
    }
  }

  it('an intact trail without a checkpoint verifies, and says its tail is unprovable', async () => {
    const { env } = await office();
    const r = await kinko(['audit:verify'], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain('改ざんは見つかりませんでした');
    expect(r.out).toContain('末尾は証明できません');
    expect(r.out).toContain('Tail unprovable');
  }, 60_000);

  it('an emptied trail of a set-up office fails (no genesis row), even with no checkpoint to compare', async () => {
    const { env, open } = await office();
    await tamper(open, (deps) => clearChain(deps.db));
    const r = await kinko(['audit:verify'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ seq 1: 記録の始まりがありません');
    expect(r.out).toContain('the trail has no beginning');
  }, 60_000);

  it('a trail whose oldest entries were cut off fails at seq 1, renumbered or not', async () => {
    const { env, open } = await office();
    await tamper(open, (deps) => deps.db.deleteFrom('audit_log').where('seq', '<=', 3).execute().then(() => undefined));
    expect((await kinko(['audit:verify'], env)).out).toContain('✗ seq 1: 記録の始まりがありません');
    // Renumbered so that seqs start at 1 again: the first entry is not chained to the genesis value.
    await tamper(open, async (deps) => {
      for (let i = 0; i < 3; i++) await shiftSeqs(deps.db, 2, -1);
      await setHead(deps.db, Number((await deps.db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()).m));
    });
    const r = await kinko(['audit:verify'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ seq 1: 記録の始まりがありません');
  }, 60_000);

  it('the running server writes signed checkpoints on schedule outside the database; a cut-off tail then fails verification', async () => {
    const { env, open } = await office(20);
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      cwd: ROOT, env: cleanEnv({ ...env, KINKO_PORT: String(port), KINKO_AUDIT_CHECKPOINT_MINUTES: '1' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
    const exited = new Promise((r) => child.once('exit', r));
    const until = Date.now() + 30_000;
    while (!log.includes('audit checkpoint written') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited;
    expect(log).toContain('audit checkpoint written');
    const files = fs.readdirSync(env.KINKO_AUDIT_CHECKPOINT_DIR).filter((n) => n.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^checkpoint-\d{8}T\d{4}Z\.json$/);
    expect(fs.statSync(path.join(env.KINKO_AUDIT_CHECKPOINT_DIR, files[0]!)).mode & 0o077).toBe(0);

    const ok = await kinko(['audit:verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(files[0]);
    expect(ok.out).not.toContain('Tail unprovable');

    // A careful attacker with the database only: cut the newest entries, rewind the head to match.
    await tamper(open, async (deps) => {
      const top = Number((await deps.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()).seq);
      await deps.db.deleteFrom('audit_log').where('seq', '>', top - 4).execute();
      await setHead(deps.db, top - 4);
    });
    const cut = await kinko(['audit:verify'], env);
    expect(cut.code).toBe(1);
    expect(cut.out).toMatch(/✗ seq \d+: 確認用ファイルのときより記録が短くなっています/);

    // The next scheduled checkpoint refuses to sign the shorter trail.
    await tamper(open, async (deps) => {
      const r = await writeScheduledCheckpoint(deps.db, loadOrCreateServerKey(deps.config.secretsDir), {
        dir: env.KINKO_AUDIT_CHECKPOINT_DIR, now: new Date(Date.now() + 120_000), intervalMs: 60_000,
      });
      expect(r.kind).toBe('regressed');
    });
    expect(fs.readdirSync(env.KINKO_AUDIT_CHECKPOINT_DIR).filter((n) => n.endsWith('.json'))).toEqual(files);
  }, 90_000);

  it('several instances in one interval leave one checkpoint; the losers just find it there', async () => {
    const { open } = await office(3);
    const dir = path.join(temp('kinko-cp-many-'), 'cp');
    const instances = await Promise.all(Array.from({ length: 4 }, open));
    try {
      const now = new Date();
      const outcomes = await Promise.all(
        instances.map((deps) => writeScheduledCheckpoint(deps.db, loadOrCreateServerKey(deps.config.secretsDir), { dir, now, intervalMs: 3_600_000 })),
      );
      expect(outcomes.filter((o) => o.kind === 'written')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'exists')).toHaveLength(3);
      expect(fs.readdirSync(dir)).toHaveLength(1); // no temp file left behind either
    } finally {
      for (const d of instances) await d.close();
    }
  }, 60_000);
});
