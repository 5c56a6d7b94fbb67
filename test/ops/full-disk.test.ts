import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { clientInRoom, dropRows, installOfficeKey, storedObjects, type RoomClient } from '../drops/helpers.js';

/**
 * Issue 12 item 9, on a real full disk: the drops folder is a 16 MiB tmpfs
 * (mounting needs root, which the test machine has; elsewhere the suite is
 * skipped with a visible reason, and under CI it fails). The disk is filled
 * with a plain file, as any other writer would fill it. Then an upload must
 * get 「保存先の空き容量がありません」 (not a generic 500), the log must name
 * ENOSPC, `/healthz` and `kinko doctor` must report the drops location as
 * failing — and once space is freed, all of it recovers.
 */
const BIN = path.resolve('bin/kinko.js');

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-fulldisk-'));
const dropsDir = path.join(dataDir, 'drops');
fs.mkdirSync(dropsDir, { mode: 0o700 });
const mountProblem = tryMount(dropsDir);
const suite = mountProblem && process.env.CI !== 'true' ? describe.skip : describe;
if (mountProblem) console.warn(`[kinko tests] skipping the full-disk suite: cannot mount a tmpfs (${mountProblem})`);

/** Fills the filesystem of `dir` with one file until the kernel says ENOSPC. */
function fillUp(dir: string): string {
  const filler = path.join(dir, 'filler.bin');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

suite('a full disk under the drops folder', () => {
  let t: TestApp;
  let c: RoomClient;
  const csv = Buffer.from('社員番号,氏名\r\n' + 'K001,工藤 一\r\n'.repeat(60_000)); // ≈ 1 MiB

  beforeAll(async () => {
    t = await makeTestApp({ KINKO_DATA_DIR: dataDir });
    await installOfficeKey(t.deps);
    c = await clientInRoom(t);
  });
  afterAll(async () => {
    await t?.close();
    if (!mountProblem) spawnSync('umount', [dropsDir]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = (lang = 'ja') =>
    c.agent.post(`${c.base}/drops?lang=${lang}`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', csv, 'roster.csv');

  it('the person is told the storage is full, the log names ENOSPC, health and doctor report drops failing; freeing space recovers', async () => {
    expect((await request(t.app).get('/healthz')).status).toBe(200);
    const filler = fillUp(dropsDir);

    const ja = await upload('ja');
    expect(ja.status).toBe(507);
    expect(ja.body.error.message).toContain('保存先の空き容量がありません');
    const en = await upload('en');
    expect(en.status).toBe(507);
    expect(en.body.error.message).toContain('no free space');
    const page = await c.agent.post(`${c.base}/drops?lang=ja`).set('X-CSRF-Token', c.csrf).set('Accept', 'text/html').attach('files', csv, 'roster.csv');
    expect(page.status).toBe(507);
    expect(page.text).toContain('保存先の空き容量がありません');
    // Nothing half-kept: no drop row, no object, no temp file.
    expect(await dropRows(t)).toBe(0);
    expect(await storedObjects(t)).toEqual({ objects: ['filler.bin'], temp: [] });

    const failed = t.logs.lines.filter((l) => l.includes('"request failed"'));
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const l of failed) expect(l).toContain('"code":"ENOSPC"');

    const health = await request(t.app).get('/healthz');
    expect(health.status).toBe(503);
    expect(health.body.checks).toMatchObject({ drops: 'failed', vault: 'ok', database: 'ok' });
    expect(t.logs.text).toMatch(/"check":"drops","problem":"[^\n]*ENOSPC/);

    const doctor = spawnSync(process.execPath, [BIN, 'doctor'], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KINKO_DATA_DIR: dataDir }, timeout: 60_000,
    });
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(/✗ 受信ファイル置き場 drops: .*ENOSPC/);
    expect(doctor.stdout).toContain('空き容量');
    expect(doctor.stdout).toContain('✓ 金庫 vault');

    fs.rmSync(filler);
    expect((await upload()).status).toBe(201);
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  }, 60_000);
});
