import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { verifyPassword } from '../../server/lib/passwords.js';
import { loadSession } from '../../server/auth/sessions.js';
import { limits } from '../../server/config.js';
import { keyHolderStatus, unlockOfficeKey } from '../../server/keys/office-key.js';
import { randomId } from '../../server/lib/random.js';
import type { TestApp } from '../helpers/app.js';
import { testDatabases } from '../helpers/databases.js';
import { makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { auditActions, giveOfficeKey, pathOf, postForm, readOneTimePassphrase, readSheet, makeTestAppOn } from './console-helpers.js';

describe.each(testDatabases())('director console: office staff, lockouts and key holders (on $name)', (target) => {
  let t: TestApp;
  let director: MadeUser;
  const directorPassphrase = 'shochou no kagi passphrase 2025';

  beforeAll(async () => {
    t = await makeTestAppOn(target);
    director = await makeUser(t.deps, { role: 'director', name: '所長 太郎' });
    await giveOfficeKey(t.deps, director.id, directorPassphrase);
  });
  afterAll(async () => {
    await t.close();
  });

  const asDirector = async (stepUp = true) => (await signedInAgent(t.app, t.deps, director, { stepUp })).agent;
  const userRow = (id: string) => t.deps.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const actionsOn = async (id: string) => (await auditActions(t.deps)).filter((a) => JSON.parse(a.target_ids).includes(id)).map((a) => a.action);

  it('when the director registers a staff member, a sheet with the office login URL and a one-time password appears', async () => {
    const res = await postForm(await asDirector(), '/office/staff', { displayName: '山田 一郎', loginId: 'Ｙａｍａｄａ', email: 'yamada@office.jp', role: 'director', companyId: 'x' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const sheet = readSheet(res.text);
    expect(sheet.url).toBe(`${t.deps.config.publicUrl}/office/login`);
    expect(sheet.loginId).toBe('yamada');
    expect(sheet.password!.length).toBeGreaterThanOrEqual(16);
    expect(res.text).toContain('山田 一郎');

    const row = await t.deps.db.selectFrom('users').selectAll().where('login_id', '=', 'yamada').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'staff', company_id: null, status: 'active', password_is_initial: 1, totp_enrolled: 0, key_holder: 0 });
    expect(await verifyPassword(row.password_hash, sheet.password!)).toBe(true);
    expect(Date.parse(row.initial_expires_at!) - t.deps.clock.now().getTime()).toBeGreaterThan(limits.password.initialTtlMs - 60_000);
    expect(await actionsOn(row.id)).toEqual(['staff.create']);

    // The sheet works at the office login: the initial password leads to enrolment.
    const login = await postForm(request.agent(t.app), '/office/login', { loginId: sheet.loginId, password: sheet.password! });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/office/welcome');
    expect(t.logs.text).not.toContain(sheet.password!);
  });

  it('a login ID already in use, or malformed, is refused with a message in Japanese and nothing is created', async () => {
    const taken = await postForm(await asDirector(), '/office/staff', { displayName: '別の山田', loginId: 'yamada', email: 'y2@office.jp' });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('このログインIDは、すでに使われています');
    const bad = await postForm(await asDirector(), '/office/staff', { displayName: '', loginId: '../root', email: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('お名前を入力してください。');
    expect(bad.text).toContain('ログインIDは、半角の小文字');
    expect(bad.text).toContain('メールアドレスを入力してください。');
    const count = await t.deps.db.selectFrom('users').select('id').where('display_name', 'in', ['別の山田', '']).execute();
    expect(count).toEqual([]);
  });

  it('revoking a staff member ends their sessions at the next request and is recorded', async () => {
    const s = await makeUser(t.deps, { role: 'staff', name: '退職 予定' });
    const { agent, sid } = await signedInAgent(t.app, t.deps, s);
    expect((await agent.get('/office')).status).toBe(200);
    const res = await postForm(await asDirector(), `/office/staff/${s.id}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/office/staff?done=revoked');
    const next = await agent.get('/office');
    expect([401, 302, 303]).toContain(next.status);
    expect(await loadSession(t.deps.db, sid, t.deps.clock.now())).toBeNull();
    expect((await userRow(s.id)).status).toBe('revoked');
    expect(await actionsOn(s.id)).toEqual(['staff.revoke']);

    expect((await postForm(await asDirector(), `/office/staff/${s.id}/enable`)).status).toBe(303);
    expect((await userRow(s.id)).status).toBe('active');
    expect(await actionsOn(s.id)).toEqual(['staff.revoke', 'staff.enable']);
  });

  it('a hard-locked staff member is unlocked by the director', async () => {
    const s = await makeUser(t.deps, { role: 'staff' });
    await t.deps.db.updateTable('users').set({ hard_locked: 1, failed_since_success: limits.login.hardLockFailures }).where('id', '=', s.id).execute();
    const list = await (await asDirector()).get('/office/staff');
    expect(list.text).toContain(`/office/staff/${s.id}/unlock`);
    expect((await postForm(await asDirector(), `/office/staff/${s.id}/unlock`)).status).toBe(303);
    expect(await userRow(s.id)).toMatchObject({ hard_locked: 0, failed_since_success: 0, locked_until: null });
    expect(await actionsOn(s.id)).toEqual(['staff.unlock']);
  });

  it('reissuing a staff login replaces the password, resets TOTP and ends sessions', async () => {
    const s = await makeUser(t.deps, { role: 'staff' });
    const { sid } = await signedInAgent(t.app, t.deps, s);
    const res = await postForm(await asDirector(), `/office/staff/${s.id}/reissue`);
    expect(res.status).toBe(200);
    const sheet = readSheet(res.text);
    expect(pathOf(sheet.url)).toBe('/office/login');
    const row = await userRow(s.id);
    expect(await verifyPassword(row.password_hash, s.password)).toBe(false);
    expect(await verifyPassword(row.password_hash, sheet.password!)).toBe(true);
    expect(row).toMatchObject({ totp_enrolled: 0, totp_secret_sealed: null, password_is_initial: 1 });
    expect(await loadSession(t.deps.db, sid, t.deps.clock.now())).toBeNull();
    expect(await actionsOn(s.id)).toEqual(['credential.reissue']);
    expect((await postForm(request.agent(t.app), '/office/login', { loginId: s.loginId, password: s.password })).status).toBe(401);
  });

  it('designating a key holder shows a one-time key passphrase once, which opens the new copy; removing it deletes the copy', async () => {
    const s = await makeUser(t.deps, { role: 'staff', name: '鍵 預子' });
    const d = await asDirector();
    const form = await d.get(`/office/staff/${s.id}/key-holder`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="passphrase"');

    const wrong = await postForm(d, `/office/staff/${s.id}/key-holder`, { passphrase: 'not my passphrase at all' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('name="passphrase"');
    expect((await keyHolderStatus(t.deps.db, s.id)).holder).toBe(false);

    const res = await postForm(d, `/office/staff/${s.id}/key-holder`, { passphrase: directorPassphrase });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const oneTime = readOneTimePassphrase(res.text);
    expect(oneTime).toBeTruthy();
    expect(res.text).toContain('手渡し');
    expect(await keyHolderStatus(t.deps.db, s.id)).toEqual({ holder: true, mustChange: true });
    expect((await userRow(s.id)).key_holder).toBe(1);
    // The copy really opens with what the director hands over (the holder must change it before use).
    await expect(unlockOfficeKey(t.deps, s.id, oneTime!)).rejects.toMatchObject({ messageKey: 'keys.errors.mustChange' });
    expect(t.logs.text).not.toContain(oneTime!);
    expect(t.logs.text).not.toContain(directorPassphrase);

    const again = await postForm(d, `/office/staff/${s.id}/key-holder`, { passphrase: directorPassphrase });
    expect(again.status).toBe(409);

    const removed = await postForm(d, `/office/staff/${s.id}/key-holder/remove`);
    expect(removed.status).toBe(303);
    expect(await keyHolderStatus(t.deps.db, s.id)).toEqual({ holder: false, mustChange: false });
    expect((await userRow(s.id)).key_holder).toBe(0);
    expect(await actionsOn(s.id)).toEqual(['key.holder.add', 'key.holder.remove']);
  });

  it('revoking a key holder deletes their key copy too', async () => {
    const s = await makeUser(t.deps, { role: 'staff' });
    const d = await asDirector();
    expect((await postForm(d, `/office/staff/${s.id}/key-holder`, { passphrase: directorPassphrase })).status).toBe(200);
    expect((await postForm(d, `/office/staff/${s.id}/revoke`)).status).toBe(303);
    expect((await keyHolderStatus(t.deps.db, s.id)).holder).toBe(false);
    expect(await actionsOn(s.id)).toEqual(['key.holder.add', 'key.holder.remove', 'staff.revoke']);
  });

  it('everything here is the director\'s: staff get 403, clients 404, and changes need a fresh step-up', async () => {
    const s = await makeUser(t.deps, { role: 'staff' });
    const target = await makeUser(t.deps, { role: 'staff' });
    const sa = (await signedInAgent(t.app, t.deps, s, { stepUp: true })).agent;
    expect((await sa.get('/office/staff')).status).toBe(403);
    expect((await postForm(sa, `/office/staff/${target.id}/revoke`)).status).toBe(403);
    expect((await postForm(sa, '/office/staff', { displayName: 'x', loginId: 'sneaky', email: 'x@y.jp' })).status).toBe(403);

    const stale = await asDirector(false);
    const before = (await auditActions(t.deps)).length;
    for (const path of ['/office/staff', `/office/staff/${target.id}/revoke`, `/office/staff/${target.id}/unlock`, `/office/staff/${target.id}/reissue`, `/office/staff/${target.id}/key-holder`, `/office/staff/${target.id}/key-holder/remove`]) {
      expect([path, (await postForm(stale, path, { displayName: 'x', loginId: 'stale', email: 'x@y.jp', passphrase: directorPassphrase })).status]).toEqual([path, 403]);
    }
    expect((await auditActions(t.deps)).length).toBe(before);
    expect((await userRow(target.id)).status).toBe('active');
    const page = await stale.get('/office/staff');
    expect(page.text).toContain('/office/step-up?next=');
  });

  it('the director cannot revoke or unlock a director through the staff pages; unknown ids are 404', async () => {
    const d = await asDirector();
    for (const id of [director.id, randomId(), '..%2f', '%00']) {
      expect([id, (await postForm(d, `/office/staff/${id}/revoke`)).status]).toEqual([id, 404]);
      expect([id, (await d.get(`/office/staff/${id}/key-holder`)).status]).toEqual([id, 404]);
    }
    expect((await userRow(director.id)).status).toBe('active');
  });

  it('the staff list shows every office person and their state', async () => {
    const res = await (await asDirector()).get('/office/staff');
    expect(res.status).toBe(200);
    expect(res.text).toContain('所長 太郎');
    expect(res.text).toContain('山田 一郎');
    expect(res.text).toContain('href="/office/staff/new"');
    expect((await (await asDirector()).get('/office/staff/new')).status).toBe(200);
  });
});
