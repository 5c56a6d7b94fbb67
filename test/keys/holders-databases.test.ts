import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newTotpSecret } from '../../server/auth/totp.js';
import { createHolderCopy, removeHolderCopy, unlockOfficeKey, changeHolderPassphrase } from '../../server/keys/office-key.js';
import { completeSetup, issueSetupToken } from '../../server/setup/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { makeUser } from '../helpers/actors.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { DIRECTOR, totpCode } from '../setup/setup-helpers.js';

const url = (db: OpenedTestDatabase) => (db.config.kind === 'sqlite' ? `sqlite:${db.config.file}` : db.config.url);

describe.each(testDatabases())('setup and key holders on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: url(db) });
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  const input = async (loginId: string) => {
    const totpSecret = newTotpSecret();
    return {
      officeName: DIRECTOR.officeName, directorName: DIRECTOR.directorName, loginId,
      password: DIRECTOR.password, passwordConfirm: DIRECTOR.password,
      totpSecret, totpCode: await totpCode(totpSecret, new Date()),
      keyPassphrase: DIRECTOR.keyPassphrase, keyPassphraseConfirm: DIRECTOR.keyPassphrase,
    };
  };

  let directorId: string;

  it('two setups racing on two valid links create exactly one office and one director', async () => {
    const [a, b] = [(await issueSetupToken(t.deps))!, (await issueSetupToken(t.deps))!];
    const results = await Promise.allSettled([
      completeSetup(t.deps, { token: a }, await input('first')),
      completeSetup(t.deps, { token: b }, await input('second')),
    ]);
    const done = results.filter((r) => r.status === 'fulfilled' && r.value.ok);
    expect(done).toHaveLength(1);
    const users = await t.deps.db.selectFrom('users').select(['id', 'role']).execute();
    expect(users).toHaveLength(1);
    expect(users[0]!.role).toBe('director');
    expect(await t.deps.db.selectFrom('office').select('id').execute()).toHaveLength(1);
    expect(await t.deps.db.selectFrom('key_copies').select('user_id').execute()).toHaveLength(1);
    directorId = users[0]!.id;
  });

  it('designate, change, and two removals at once never remove the last copy', async () => {
    const now = t.deps.clock.now();
    const staff = await makeUser(t.deps, { role: 'staff' });
    const { oneTimePassphrase } = await createHolderCopy(t.deps, { byUserId: directorId, byPassphrase: DIRECTOR.keyPassphrase, forUserId: staff.id, now });
    await changeHolderPassphrase(t.deps, { userId: staff.id, oldPassphrase: oneTimePassphrase, newPassphrase: 'staff-passphrase-123', now });
    expect((await unlockOfficeKey(t.deps, staff.id, 'staff-passphrase-123')).isDecrypted()).toBe(true);

    const results = await Promise.allSettled([
      removeHolderCopy(t.deps, { userId: staff.id, byUserId: directorId, now }),
      removeHolderCopy(t.deps, { userId: directorId, byUserId: directorId, now }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await t.deps.db.selectFrom('key_copies').select('user_id').execute()).toHaveLength(1);
    const actions = (await t.deps.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);
    expect(actions).toEqual(['setup.complete', 'key.holder.add', 'key.holder.add', 'key.passphrase.change', 'key.holder.remove']);
  });
});
