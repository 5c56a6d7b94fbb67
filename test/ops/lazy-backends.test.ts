import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, startRunningKinko } from '../helpers/running-kinko.js';
import { until } from '../helpers/until.js';

/**
 * Idle memory (issue 17 §5): the embedded default (SQLite + local folders)
 * must not load the backends it does not use — the AWS SDK (S3 storage) and
 * pg (PostgreSQL) — at start or when the first pages are served. Checked on
 * a real `kinko serve` process through a module-resolution log, not by timing
 * or by RSS figures (which depend on the machine).
 */
const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/module-log.mjs');

describe('backends are loaded only when configured', () => {
  it('when kinko runs on the embedded default and serves its first pages, then neither the AWS SDK nor pg was ever loaded', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-modlog-')), 'modules.txt');
    const kinko = await startRunningKinko({ nodeArgs: ['--import', HOOK], env: { KINKO_TEST_MODULE_LOG: log } });
    try {
      expect((await kinko.get('/')).status).toBeLessThan(400);
      expect((await kinko.get('/drops')).status).toBeLessThan(500);
      const urls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
      // The log works: the server's own modules and its SQLite driver are in it.
      expect(urls.some((u) => /\/dist\/kinko-[0-9a-f]{16}\/cli\.js$/.test(u))).toBe(true);
      expect(urls.some((u) => u.includes('/node_modules/better-sqlite3/'))).toBe(true);
      expect(urls.filter((u) => u.includes('/node_modules/@aws-sdk/') || u.includes('/node_modules/@smithy/'))).toEqual([]);
      expect(urls.filter((u) => /\/node_modules\/(pg|pg-pool|pg-protocol)\//.test(u))).toEqual([]);
      // What runs is the compiled server (bin/build.js): no TypeScript compiled at start, no tsx loaded.
      expect(urls.filter((u) => u.startsWith('file:') && u.endsWith('.ts'))).toEqual([]);
      expect(urls.filter((u) => u.includes('/node_modules/tsx/'))).toEqual([]);
    } finally {
      await kinko.stop();
      fs.rmSync(path.dirname(log), { recursive: true, force: true });
    }
  }, 120_000);

  it('when nobody ingests, the server holds no parse process after its first pages; a key holder opening a drop starts the spare', async () => {
    const kinko = await startRunningKinko();
    try {
      expect((await kinko.get('/office')).status).toBe(200);
      expect((await kinko.get('/office/drops')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      expect(descendants(kinko.pid)).toEqual([]);
      const { dropId } = await kinko.upload(Buffer.from('社員番号,氏名\n1,山田\n'), 'roster.csv');
      expect((await kinko.get(`/office/drops/${dropId}`)).status).toBe(200);
      await until(() => descendants(kinko.pid).length > 0, 30_000);
    } finally {
      await kinko.stop();
    }
  }, 120_000);
});
