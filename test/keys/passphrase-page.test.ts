import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { createHolderCopy, keyHolderStatus, unlockOfficeKey } from '../../server/keys/office-key.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { DIRECTOR, setUpOffice } from '../setup/setup-helpers.js';

const PAGE = '/office/key/passphrase';

describe('a key holder changes their key passphrase (/office/key/passphrase)', () => {
  let t: TestApp;
  let directorId: string;
  beforeAll(async () => {
    t = await makeTestApp();
    ({ directorId } = await setUpOffice(t.deps));
  });
  afterAll(async () => {
    await t.close();
  });

  async function newHolder() {
    const staff = await makeUser(t.deps, { role: 'staff', keyHolder: false });
    const { oneTimePassphrase } = await createHolderCopy(t.deps, { byUserId: directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: staff.id, now: t.deps.clock.now() });
    const { agent } = await signedInAgent(t.app, t.deps, staff);
    return { staff, oneTimePassphrase, agent };
  }

  it('a new holder is told to replace the one-time passphrase, and after doing so can unlock the key with their own', async () => {
    const { staff, oneTimePassphrase, agent } = await newHolder();
    const page = await agent.get(PAGE);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toContain('no-store');
    expect(page.text).toContain('一時的なパスフレーズ');
    const csrf = await csrfToken(agent, PAGE);
    const mine = 'my-very-own-key-passphrase';
    const res = await agent.post(PAGE).type('form').send({ _csrf: csrf, currentPassphrase: oneTimePassphrase, newPassphrase: mine, newPassphraseConfirm: mine });
    expect(res.status).toBe(200);
    expect(res.text).toContain('鍵のパスフレーズを変更しました');
    expect(await keyHolderStatus(t.deps.db, staff.id)).toEqual({ holder: true, mustChange: false });
    expect((await unlockOfficeKey(t.deps, staff.id, mine)).isDecrypted()).toBe(true);
    for (const s of [oneTimePassphrase, mine]) expect(t.logs.text).not.toContain(s);
  });

  it('mistakes are explained next to the field and change nothing', async () => {
    const { staff, oneTimePassphrase, agent } = await newHolder();
    const csrf = await csrfToken(agent, PAGE);
    const post = (form: Record<string, string>) => agent.post(PAGE).type('form').send({ _csrf: csrf, ...form });
    const good = 'another-good-passphrase';

    const wrong = await post({ currentPassphrase: 'not-the-one-time', newPassphrase: good, newPassphraseConfirm: good });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('鍵のパスフレーズが違います');
    const mismatch = await post({ currentPassphrase: oneTimePassphrase, newPassphrase: good, newPassphraseConfirm: good + 'x' });
    expect(mismatch.text).toContain('一致しません');
    const short = await post({ currentPassphrase: oneTimePassphrase, newPassphrase: 'short', newPassphraseConfirm: 'short' });
    expect(short.text).toContain(`${limits.password.minLength}文字以上`);
    const same = await post({ currentPassphrase: oneTimePassphrase, newPassphrase: staff.password, newPassphraseConfirm: staff.password });
    expect(same.text).toContain('ログインのパスワードとは別のもの');
    for (const r of [wrong, mismatch, short, same]) {
      expect(r.status).toBe(400);
      expect(r.text).not.toContain(oneTimePassphrase);
    }
    expect(await keyHolderStatus(t.deps.db, staff.id)).toEqual({ holder: true, mustChange: true });
  });

  it('staff without a copy are told they hold no key; clients get 404; strangers must sign in', async () => {
    const plain = await makeUser(t.deps, { role: 'staff' });
    const { agent } = await signedInAgent(t.app, t.deps, plain);
    const res = await agent.get(PAGE);
    expect(res.status).toBe(403);
    expect(res.text).toContain('事務所の鍵を預かっていません');

    const company = await makeCompany(t.deps);
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const { agent: clientAgent } = await signedInAgent(t.app, t.deps, client);
    expect((await clientAgent.get(PAGE)).status).toBe(404);
    expect((await request(t.app).get(PAGE)).headers.location).toBe('/office/login');
  });
});
