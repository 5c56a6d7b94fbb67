import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyAudit } from '../../server/audit/verify.js';
import type { TestApp } from '../helpers/app.js';
import { testDatabases } from '../helpers/databases.js';
import { makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { auditActions, giveOfficeKey, pathOf, postForm, readOneTimePassphrase, readSheet, makeTestAppOn } from './console-helpers.js';

/**
 * AUDIT: every console action leaves exactly one entry, written by the
 * director's request, in a chain that still verifies — and no entry carries
 * a password, access key or passphrase (ids and counts only).
 */
describe.each(testDatabases())('the director console writes the audit trail (on $name)', (target) => {
  let t: TestApp;
  let director: MadeUser;
  const passphrase = 'director key passphrase for audit';
  const secrets: string[] = [passphrase];

  beforeAll(async () => {
    t = await makeTestAppOn(target);
    director = await makeUser(t.deps, { role: 'director' });
    await giveOfficeKey(t.deps, director.id, passphrase);
  });
  afterAll(async () => {
    await t.close();
  });

  it('one entry per action, by the director, and the chain verifies', async () => {
    const act = async (path: string, fields: Record<string, string> = {}) => {
      const { agent } = await signedInAgent(t.app, t.deps, director, { stepUp: true });
      const res = await postForm(agent, path, fields);
      expect([path, res.status < 400]).toEqual([path, true]);
      if (/sheet-url/.test(res.text)) {
        const s = readSheet(res.text);
        secrets.push(pathOf(s.url).split('/').pop()!);
        if (s.password) secrets.push(s.password);
      }
      const oneTime = readOneTimePassphrase(res.text);
      if (oneTime) secrets.push(oneTime);
      return res;
    };

    const created = await act('/office/companies', { name: '監査テスト株式会社', contactEmail: 'kansa@example.jp' });
    const login = readSheet(created.text).loginId;
    const client = await t.deps.db.selectFrom('users').select(['id', 'company_id']).where('login_id', '=', login).executeTakeFirstOrThrow();
    const companyId = client.company_id!;
    await act(`/office/companies/${companyId}/reissue`);
    await act(`/office/companies/${companyId}/rotate`);
    await act(`/office/companies/${companyId}/revoke`);
    await act(`/office/companies/${companyId}/enable`);
    await act('/office/staff', { displayName: '監査 次郎', loginId: 'kansa-jiro', email: 'jiro@office.jp' });
    const staff = await t.deps.db.selectFrom('users').select('id').where('login_id', '=', 'kansa-jiro').executeTakeFirstOrThrow();
    await t.deps.db.updateTable('users').set({ hard_locked: 1 }).where('id', '=', staff.id).execute();
    await act(`/office/staff/${staff.id}/unlock`);
    await act(`/office/staff/${staff.id}/key-holder`, { passphrase });
    await act(`/office/staff/${staff.id}/key-holder/remove`);
    await act(`/office/staff/${staff.id}/revoke`);

    const entries = await auditActions(t.deps);
    expect(entries.map((e) => e.action)).toEqual([
      'credential.issue', 'credential.reissue', 'credential.rotate', 'credential.revoke', 'credential.enable',
      'staff.create', 'staff.unlock', 'key.holder.add', 'key.holder.remove', 'staff.revoke',
    ]);
    expect(new Set(entries.map((e) => e.actor_id))).toEqual(new Set([director.id]));
    expect(entries.slice(0, 5).every((e) => e.company_id === companyId)).toBe(true);
    expect(entries.slice(5).every((e) => JSON.parse(e.target_ids).includes(staff.id))).toBe(true);

    const rows = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const s of secrets) expect(rows).not.toContain(s);
    for (const s of secrets) expect(t.logs.text).not.toContain(s);
    expect((await verifyAudit(t.deps.db, t.deps.secrets.audit)).ok).toBe(true);
  });

  it('a refused action (no step-up) writes nothing', async () => {
    const before = (await auditActions(t.deps)).length;
    const { agent } = await signedInAgent(t.app, t.deps, director, { stepUp: false });
    expect((await postForm(agent, '/office/companies', { name: '記録なし株式会社', contactEmail: 'x@example.jp' })).status).toBe(403);
    expect((await auditActions(t.deps)).length).toBe(before);
  });
});
