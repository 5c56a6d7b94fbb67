import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { certificateFacts } from '../../server/disposal-batches/certificate-issue.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { retentionOfCompany } from '../../server/retention/repo.js';
import { reportDeparture, setCompanyServices, setHold } from '../../server/retention/service.js';
import { revealNumber, type PersonRow } from '../../server/vault/index.js';
import { readCurrentNumber } from '../../server/vault/reveal.js';
import { unwrapKey } from '../../server/vault/crypto.js';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { createTestBucket } from '../storage/s3-bucket.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { makeCompany, makeVaultOffice, PASSPHRASES, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * Moving held persons into the key of their disposal month (issue 14 §3),
 * through the 廃棄予定 page, on SQLite with the packed local vault and on
 * PostgreSQL with a versioned S3 bucket (moto): the leavers a client
 * reported wait for a key holder; after the move each one's record is under
 * the key of (company, disposal month), the old record is gone in every
 * version, everyone still reveals their own number — and the disposal of
 * that month is then a true crypto-erase that leaves the others readable.
 */
interface Target {
  name: string;
  db: TestDatabase;
  s3: boolean;
}

function targets(): Target[] {
  const out: Target[] = [];
  for (const db of testDatabases()) {
    if (db.name === 'sqlite') out.push({ name: 'SQLite and the packed local vault', db, s3: false });
    else if (process.env.KINKO_TEST_MOTO_ENDPOINT) out.push({ name: 'PostgreSQL and a versioned S3 bucket (moto)', db, s3: true });
    else if (process.env.CI === 'true') throw new Error('moto is required under CI (KINKO_TEST_MOTO_ENDPOINT unset)');
    else console.warn('[kinko tests] reseal on PostgreSQL + S3 skipped: KINKO_TEST_MOTO_ENDPOINT unset');
  }
  return out;
}

const numbers = syntheticMyNumbers(6, 5151);

describe.each(targets())('moving numbers into their disposal month, on $name', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let clock: ManualClock;
  let office: VaultOffice;
  let companyId: string;
  const rows: Record<string, PersonRow> = {};
  const numberOf: Record<string, string> = {};

  beforeAll(async () => {
    opened = await target.db.open();
    clock = fakeClock('2026-12-02T03:00:00.000Z');
    const env: Record<string, string> = { KINKO_DATABASE_URL: databaseUrl(opened) };
    if (target.s3) {
      const endpoint = process.env.KINKO_TEST_MOTO_ENDPOINT!;
      const drops = await createTestBucket(endpoint, { versioning: true });
      const vault = await createTestBucket(endpoint, { versioning: true });
      Object.assign(env, {
        KINKO_STORAGE: 's3', KINKO_S3_ENDPOINT: endpoint, KINKO_S3_REGION: 'us-east-1', KINKO_S3_DROPS_BUCKET: drops.bucket, KINKO_S3_VAULT_BUCKET: vault.bucket,
        KINKO_S3_BUNDLES_BUCKET: 'kinko-bundles-unused', KINKO_S3_ACCESS_KEY_ID: vault.accessKeyId, KINKO_S3_SECRET_ACCESS_KEY: vault.secretAccessKey, KINKO_S3_FORCE_PATH_STYLE: 'true',
      });
    }
    t = await makeTestApp(env, { clock });
    office = await makeVaultOffice(t.deps);
    companyId = (await makeCompany(t.deps, '付替商事株式会社')).id;
    const by = { userId: office.director.id, role: 'director' as const, requestId: null };
    await setCompanyServices(t.deps, by, { companyId, serviceIds: ['shakai-hoken'] });
    const list = [['A1', '青木 一郎'], ['A2', '井上 二郎'], ['A3', '上田 三郎'], ['B1', '江藤 四郎']] as const;
    const put = await putInVault(t.deps, { companyId, cohort: '2026', employees: list.map(([code, name], i) => ({ name, number: numbers[i]!, employeeCode: code })) });
    list.forEach(([code], i) => ((rows[code] = put[i]!), (numberOf[code] = numbers[i]!)));
    // the client reports three leavers: A1 and A2 on the same day, A3 later; B1 stays
    for (const [code, on] of [['A1', '2026-03-31'], ['A2', '2026-03-31'], ['A3', '2026-08-31']] as const) {
      await reportDeparture(t.deps, by, { companyId, personId: rows[code]!.id, on, via: 'room' });
    }
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  const now = (code: string) => t.deps.db.selectFrom('persons').selectAll().where('id', '=', rows[code]!.id).executeTakeFirstOrThrow();
  const monthOf = async (code: string) => {
    const v = (await retentionOfCompany(t.deps.db, companyId)).find((p) => p.personId === rows[code]!.id)!;
    if (v.retention.state !== 'scheduled') throw new Error(`${code} has no end date`);
    return v.retention.from;
  };
  const vaultKeys = async () => {
    const keys: string[] = [];
    for await (const o of t.deps.storage.vault.list()) keys.push(o.key);
    return keys.sort();
  };
  const goneEverywhere = async (token: string) => {
    const head = await t.deps.storage.vault.head(token).then(() => 'present', (e: unknown) => (e instanceof StorageNotFoundError ? 'gone' : String(e)));
    return { head, remnants: await t.deps.storage.vault.remnants(token) };
  };
  const reveal = async (code: string) =>
    (await revealNumber(t.deps, { personId: rows[code]!.id, actor: { userId: office.keyHolder.id, role: 'staff' }, passphrase: PASSPHRASES.keyHolder, purpose: 'health-pension' })).number;

  async function keyHolderPost(form: Record<string, string>) {
    const { agent } = await signedInAgent(t.app, t.deps, office.keyHolder);
    const csrf = await csrfToken(agent, '/office/retention');
    return { agent, res: await agent.post('/office/retention/reseal').type('form').send({ _csrf: csrf, ...form }) };
  }

  it('when a client has reported three leavers, then the 廃棄予定 page tells a key holder that three numbers wait to be moved, and shows no number', async () => {
    const { agent } = await signedInAgent(t.app, t.deps, office.keyHolder);
    const res = await agent.get('/office/retention');
    expect(res.status).toBe(200);
    expect(res.text).toContain('3 人の個人番号が、廃棄月ごとの暗号鍵への付け替えを待っています。');
    expect(res.text).not.toMatch(STANDALONE_TWELVE_DIGITS);
  });

  it('when the key passphrase is wrong, then the page says so in Japanese and nobody is moved', async () => {
    const { res } = await keyHolderPost({ passphrase: 'not-the-passphrase' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('鍵のパスフレーズが違います');
    for (const code of ['A1', 'A2', 'A3', 'B1']) expect(await now(code)).toMatchObject({ token: rows[code]!.token, cohort: '2026' });
  });

  it('when a key holder moves them, then each leaver is under the key of their disposal month, their old record is gone in every version, the one still working is untouched, and all four still reveal their own number', async () => {
    const { agent, res } = await keyHolderPost({ passphrase: PASSPHRASES.keyHolder });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/office/retention?moved=3');
    const page = await agent.get(res.headers.location!);
    expect(page.text).toContain('3 人の個人番号を、廃棄月ごとの鍵に付け替えました。');
    expect(page.text).toContain('付け替えを待っている個人番号はありません。');

    const [a1, a2, a3, b1] = await Promise.all(['A1', 'A2', 'A3', 'B1'].map(now));
    expect(a1!.cohort).toBe(`end-${(await monthOf('A1')).slice(0, 7)}`);
    expect(a3!.cohort).toBe(`end-${(await monthOf('A3')).slice(0, 7)}`);
    expect(a1!.cohort).not.toBe(a3!.cohort);
    expect(a2!.data_key_id).toBe(a1!.data_key_id); // due together: one key
    expect(a3!.data_key_id).not.toBe(a1!.data_key_id);
    expect(b1).toMatchObject({ token: rows.B1!.token, data_key_id: rows.B1!.data_key_id, cohort: '2026' });
    for (const code of ['A1', 'A2', 'A3']) {
      expect((await now(code)).token).not.toBe(rows[code]!.token);
      expect(await goneEverywhere(rows[code]!.token)).toEqual({ head: 'gone', remnants: [] });
    }
    // the vault holds exactly the records the rows name, and nothing waits to be deleted
    expect(await vaultKeys()).toEqual([a1!.token, a2!.token, a3!.token, b1!.token].sort());
    expect(await t.deps.db.selectFrom('vault_retired_records').select('token').execute()).toEqual([]);
    for (const code of ['A1', 'A2', 'A3', 'B1']) expect(await reveal(code)).toBe(numberOf[code]);

    const entries = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'vault.reseal').execute();
    expect(entries).toHaveLength(2); // one per disposal month
    expect(entries.map((e) => e.actor_id)).toEqual([office.keyHolder.id, office.keyHolder.id]);
    expect(JSON.stringify(entries)).not.toMatch(STANDALONE_TWELVE_DIGITS);
  }, 60_000);

  it('when a reveal read the row before the move, then it still gets the number from the record the row names now (never a false "damaged")', async () => {
    const key = await unlockOfficeKey(t.deps, office.keyHolder.id, PASSPHRASES.keyHolder);
    const stale = rows.A1!; // the token and key from before the move
    const got = await readCurrentNumber(t.deps, stale, async (id) => {
      const dk = await t.deps.db.selectFrom('data_keys').select('wrapped_key').where('id', '=', id).executeTakeFirstOrThrow();
      return unwrapKey(dk.wrapped_key!, key);
    });
    expect(got).toBe(numberOf.A1);
  });

  it('when a leaver is put on hold, then they move apart (so the hold keeps no month’s key alive), and back to their month once the hold is lifted', async () => {
    const by = { userId: office.director.id, role: 'director' as const, requestId: null };
    const month = (await now('A3')).data_key_id;
    await setHold(t.deps, by, { companyId, personId: rows.A3!.id, reason: '労基署の調査中' });
    expect((await keyHolderPost({ passphrase: PASSPHRASES.keyHolder })).res.headers.location).toBe('/office/retention?moved=1');
    expect((await now('A3')).cohort).toBe('hold');
    await setHold(t.deps, by, { companyId, personId: rows.A3!.id, reason: null });
    expect((await keyHolderPost({ passphrase: PASSPHRASES.keyHolder })).res.headers.location).toBe('/office/retention?moved=1');
    expect(await now('A3')).toMatchObject({ cohort: `end-${(await monthOf('A3')).slice(0, 7)}`, data_key_id: month });
    expect(await reveal('A3')).toBe(numberOf.A3);
  }, 60_000);

  it('when the month comes and the director disposes of A1 and A2, then it is a crypto-erase of their one key, the certificate names the backups from before the move, and A3 and B1 still reveal', async () => {
    const from = await monthOf('A1');
    clock.advance(Date.parse(`${from}T03:00:00Z`) - clock.now().getTime());
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    const page = `/office/companies/${companyId}/disposal`;
    const csrf = await csrfToken(agent, page);
    const key = (await now('A1')).data_key_id;
    const disposed = [(await now('A1')).token, (await now('A2')).token];
    const res = await agent.post(`/office/companies/${companyId}/disposal-batches`).type('form').send({ _csrf: csrf, person: [rows.A1!.id, rows.A2!.id], reason: 'retention-ended', reasonText: '', passphrase: PASSPHRASES.director });
    expect(res.status).toBe(303);
    // the office has a second key holder: they confirm
    const batchPath = res.headers.location!;
    const { agent: second } = await signedInAgent(t.app, t.deps, office.keyHolder, { stepUp: true });
    const c2 = await csrfToken(second, batchPath);
    expect((await second.post(`${batchPath}/confirm`).type('form').send({ _csrf: c2, passphrase: PASSPHRASES.keyHolder })).status).toBe(303);

    const batch = await t.deps.db.selectFrom('disposal_batches').selectAll().executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ state: 'done', method: 'crypto-erase', key_ids: key });
    expect(await t.deps.db.selectFrom('data_keys').select(['wrapped_key']).where('id', '=', key).executeTakeFirstOrThrow()).toEqual({ wrapped_key: null });
    const facts = await certificateFacts(t.deps, batch.id, 'client', clock.now().toISOString());
    expect(facts.method).toBe('crypto-erase');
    expect(facts.backups.map((b) => b.where).join('\n')).toContain('付け替えより前に取得されたもの');
    // nothing of theirs in the store in any version (moto lists versions and delete markers), only the others' records
    for (const token of disposed) expect(await goneEverywhere(token)).toEqual({ head: 'gone', remnants: [] });
    expect(await vaultKeys()).toEqual([(await now('A3')).token, (await now('B1')).token].sort());
    expect(await reveal('A3')).toBe(numberOf.A3);
    expect(await reveal('B1')).toBe(numberOf.B1);
  }, 90_000);
});
