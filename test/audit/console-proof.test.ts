import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { writeScheduledCheckpoint } from '../../server/audit/checkpoint-store.js';
import { appendAudit } from '../../server/audit/service.js';
import { loadOrCreateServerKey } from '../../server/lib/server-key.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { clearChain, setHead } from './chain-helpers.js';

/**
 * Issue 12 item 11 on the director's console ("いますぐ点検する"): the check
 * says when the tail is unprovable, compares with the server's scheduled
 * checkpoints, and an emptied trail of a set-up office is a failure.
 */
describe('audit console: what the check can and cannot prove', () => {
  let t: TestApp;
  let director: MadeUser;
  beforeAll(async () => {
    t = await makeTestApp();
    director = await makeUser(t.deps, { role: 'director', keyHolder: true });
  });
  afterAll(async () => {
    await t.close();
  });

  async function verifyNow() {
    const { agent } = await signedInAgent(t.app, t.deps, director);
    const token = await csrfToken(agent, '/office/audit');
    return agent.post('/office/audit/verify').type('form').send({ _csrf: token });
  }
  const record = (n: number) =>
    t.deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < n; i++) await appendAudit(trx, { key: t.deps.secrets.audit, now: () => t.deps.clock.now() }, { action: 'test.entry' });
    });

  it('without a checkpoint: OK, and says the tail is unprovable; with the scheduled one: no such warning; a cut tail then fails', async () => {
    await record(6);
    const first = await verifyNow();
    expect(first.text).toContain('改ざんは見つかりませんでした');
    expect(first.text).toContain('末尾は証明できません');

    const { dir } = t.deps.config.auditCheckpoints;
    const written = await writeScheduledCheckpoint(t.deps.db, loadOrCreateServerKey(t.deps.config.secretsDir), { dir, now: t.deps.clock.now(), intervalMs: 3_600_000 });
    expect(written.kind).toBe('written');
    expect(fs.readdirSync(dir)).toHaveLength(1);
    const second = await verifyNow();
    expect(second.text).toContain('改ざんは見つかりませんでした');
    expect(second.text).not.toContain('末尾は証明できません');

    // Cut the newest entries and rewind the head, as a careful attacker with the database would.
    await t.deps.db.deleteFrom('audit_log').where('seq', '>', 3).execute();
    await setHead(t.deps.db, 3);
    const cut = await verifyNow();
    expect(cut.text).toContain('確認用ファイルのときより記録が短くなっています');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an emptied trail of a set-up office fails: the trail has no beginning', async () => {
    await t.deps.db.insertInto('office').values({ id: 'office', name: 'テスト事務所', created_at: t.deps.clock.now().toISOString() }).execute();
    await clearChain(t.deps.db);
    const res = await verifyNow();
    expect(res.status).toBe(200);
    expect(res.text).toContain('番号 1 の記録に問題があります');
    expect(res.text).toContain('記録の始まりがありません');
  });
});
