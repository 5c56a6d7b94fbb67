import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { limits } from '../../server/config.js';
import { KeyPassphraseLocked, WrongKeyPassphrase } from '../../server/keys/errors.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { FakeClock } from '../helpers/clock.js';
import { arrangeOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';

const K = limits.keyPassphrase;

/** The passphrase try is claimed in one conditional upsert: exact under parallel tries on both databases. */
describe.each(testDatabases())('key passphrase claims under parallel tries (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  const clock = new FakeClock();

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {}, { clock });
    office = await arrangeOffice(t.deps);
  });
  afterAll(async () => {
    await t?.close();
    await opened.cleanup();
  });

  const entries = (action: string) => t.deps.db.selectFrom('audit_log').select('actor_id').where('action', '=', action).where('actor_id', '=', office.holder.id).execute();

  it(`60 parallel wrong passphrases: exactly ${K.holderFailures} tested, one lock; after the lock, exactly ${K.hardLockFailures} since success give the hard lock`, async () => {
    const burst = (n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => unlockOfficeKey(t.deps, office.holder.id, `parallel-wrong-${i}`, { form: 'reveal' }).then(() => 'opened', (e: unknown) => e)));
    const first = await burst(60);
    expect(first.every((e) => e instanceof WrongKeyPassphrase)).toBe(true);
    expect(first.filter((e) => e instanceof KeyPassphraseLocked)).toHaveLength(60 - (K.holderFailures - 1));
    expect(await entries('key.passphrase.failure')).toHaveLength(K.holderFailures);
    expect(await entries('key.passphrase.lockout')).toHaveLength(1);

    clock.advance(K.lockMs);
    await burst(60);
    expect(await entries('key.passphrase.failure')).toHaveLength(K.hardLockFailures);
    const row = await t.deps.db.selectFrom('key_unlock_throttle').selectAll().where('user_id', '=', office.holder.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ failed_since_success: K.hardLockFailures, hard_locked: 1 });
    clock.advance(7 * 24 * 60 * 60_000);
    await expect(unlockOfficeKey(t.deps, office.holder.id, STAFF_PASSPHRASE)).rejects.toBeInstanceOf(KeyPassphraseLocked);
  });
});
