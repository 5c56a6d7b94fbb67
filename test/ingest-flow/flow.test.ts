import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StorageNotFoundError } from '../../storage-adapters/errors.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, filesContaining, numberForms, rosterCsv, vaultKeys, type Office, type Person } from '../helpers/ingest-office.js';
import { dropDisposalRow } from '../helpers/disposal.js';

/**
 * The whole ingest as a key holder does it, through HTTP: open the drop,
 * enter the key passphrase, check the masked preview, confirm — then the
 * numbers are in the vault exactly once, names in the database, the original
 * is gone with a disposal record, and nothing anywhere holds a number.
 */
describe.each(testDatabases())('ingest flow: drop → preview → vault → original destroyed (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  const numbers = syntheticMyNumbers(12, 4242);
  const people: Person[] = [
    { code: 'E001', name: '山田 太郎', kana: 'ヤマダ タロウ', number: numbers[0]!, spouse: { name: '山田 花子', number: numbers[1]! } },
    { code: 'E002', name: '髙橋 一郎', kana: 'タカハシ イチロウ', number: numbers[2]! },
    { code: 'E003', name: '佐々木 ｹﾝ', kana: 'ササキ ケン', number: numbers[3]! },
  ];

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    office = await arrangeOffice(t.deps);
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  async function asDirector() {
    const { agent } = await signedInAgent(t.app, t.deps, office.director);
    return agent;
  }

  async function ingest(agent: Awaited<ReturnType<typeof asDirector>>, dropId: string, opts: { exclude?: string[] } = {}) {
    const csrf = await csrfToken(agent, `/office/drops/${dropId}`);
    const start = await agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    expect(start.status).toBe(303);
    const previewUrl = start.headers.location as string;
    const preview = await agent.get(previewUrl);
    expect(preview.status).toBe(200);
    const version = /name="version" value="(\d+)"/.exec(preview.text)![1]!;
    const confirm = await agent
      .post(`${previewUrl}/confirm`)
      .type('form')
      .send(`_csrf=${encodeURIComponent(csrf)}&version=${version}${(opts.exclude ?? []).map((k) => `&exclude=${k}`).join('')}`);
    return { preview, confirm, jobId: previewUrl.split('/').pop()! };
  }

  it.each(['utf-8', 'shift_jis'] as const)('a %s roster goes into the vault, once per person, and the original is destroyed', async (encoding) => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(people, encoding)));
    const agent = await asDirector();
    const before = new Set(await vaultKeys(t.deps));

    const page = await agent.get(`/office/drops/${drop.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('受付済');
    expect(page.text).toContain(drop.sha256);
    expect(page.text).toContain('鍵のパスフレーズ');

    const { preview, confirm } = await ingest(agent, drop.id);
    // The preview: names, relations, where, numbers masked to their last four.
    for (const p of people) {
      expect(preview.text).toContain(p.name);
      expect(preview.text).toContain(`**** **** ${p.number.slice(-4)}`);
    }
    expect(preview.text).toContain('配偶者');
    for (const form of numberForms(numbers)) expect(preview.text).not.toContain(form);

    expect(confirm.status).toBe(303);
    expect(confirm.headers.location).toBe(`/office/drops/${drop.id}?committed=1`);

    const rows = await t.deps.db.selectFrom('persons').selectAll().where('source_drop_id', '=', drop.id).execute();
    const expected = encoding === 'utf-8' ? 4 : 0; // the second file holds the same people: duplicates only
    expect(rows).toHaveLength(expected);
    const added = (await vaultKeys(t.deps)).filter((k) => !before.has(k));
    expect(added).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.token))).toEqual(new Set(added));
    if (encoding === 'utf-8') {
      const spouse = rows.find((r) => r.name === '山田 花子')!;
      const self = rows.find((r) => r.name === '山田 太郎')!;
      expect(spouse.relation).toBe('配偶者');
      expect(spouse.employee_person_id).toBe(self.id);
      expect(self.employee_code).toBe('E001');
    }

    // Exactly once per company overall, whatever the number of drops.
    const all = await t.deps.db.selectFrom('persons').select(['number_index']).where('company_id', '=', office.company.id).execute();
    expect(new Set(all.map((r) => r.number_index)).size).toBe(all.length);
    expect(all).toHaveLength(4);

    // The original: deleted, verified, recorded; the drop shows 廃棄済 in the office and in the room.
    expect(await t.deps.storage.drops.remnants(drop.storedKey)).toEqual([]);
    await expect(t.deps.storage.drops.head(drop.storedKey)).rejects.toBeInstanceOf(StorageNotFoundError);
    const disposal = await dropDisposalRow(t.deps.db, drop.id);
    expect(disposal).toMatchObject({ sha256: drop.sha256, size: drop.size, method: 'storage-delete-all-versions', backend: 'local', by_user: office.director.id });
    const dropRow = await t.deps.db.selectFrom('drops').select('state').where('id', '=', drop.id).executeTakeFirstOrThrow();
    expect(dropRow.state).toBe('disposed');
    const after = await agent.get(`/office/drops/${drop.id}?committed=1`);
    expect(after.text).toContain('廃棄済');
    expect(after.text).toContain('残っていないことを確認しました');
    expect(after.text).toContain(`金庫に追加: ${expected} 人`);

    const { agent: clientAgent } = await signedInAgent(t.app, t.deps, office.client);
    const room = await clientAgent.get(`/room/${office.company.accessKey}/drops`);
    expect(room.status).toBe(200);
    expect(room.text).toContain('廃棄済');

    // Audit: one ingest.commit with counts, one drop.destroy; never a number.
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('target_ids', 'like', `%${drop.id}%`).execute();
    const commit = audit.filter((a) => a.action === 'ingest.commit');
    expect(commit).toHaveLength(1);
    expect(JSON.parse(commit[0]!.details)).toMatchObject({ personsAdded: expected, duplicates: 4 - expected, review: 0, excluded: 0 });
    expect(audit.filter((a) => a.action === 'drop.destroy')).toHaveLength(1);
    const trail = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
    for (const form of numberForms(numbers)) expect(trail).not.toContain(form);
  });

  it('the same employee with a different number goes to review as a number change; excluded rows are counted', async () => {
    const changed: Person[] = [
      { ...people[0]!, number: numbers[5]!, spouse: undefined }, // 山田 太郎, E001, new number
      { code: 'E004', name: '新人 次郎', kana: 'シンジン ジロウ', number: numbers[6]! },
      { code: 'E005', name: '除外 三郎', kana: 'ジョガイ サブロウ', number: numbers[7]! },
    ];
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(changed)));
    const agent = await asDirector();
    const { preview, confirm } = await ingest(agent, drop.id, { exclude: ['p2'] });
    expect(preview.text).toContain('保留（番号が以前と違う）');
    expect(confirm.status).toBe(303);

    const job = await t.deps.db.selectFrom('ingest_jobs').selectAll().where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: 'done', persons_added: 1, duplicates: 0, review_count: 1, excluded: 1 });
    const review = await t.deps.db.selectFrom('ingest_review').selectAll().where('drop_id', '=', drop.id).execute();
    expect(review).toEqual([expect.objectContaining({ reason: 'number-change', name: '山田 太郎', relation: '本人', source_sheet: expect.any(String), source_row: 2 })]);
    const page = await agent.get(`/office/drops/${drop.id}`);
    expect(page.text).toContain('同じ人が以前と違う個人番号で届きました');
    const yamada = await t.deps.db.selectFrom('persons').select('id').where('name', '=', '山田 太郎').execute();
    expect(yamada).toHaveLength(1);
  });

  it('a number Excel damaged (lost leading zero) is held back, unless staff accept the proposed repair', async () => {
    const zeros = syntheticMyNumbers(400, 31).filter((n) => n.startsWith('0')).slice(0, 2);
    const csv = (n: string, name: string) => Buffer.from(`社員番号,氏名,個人番号\r\nZ${name.length},${name},${n.slice(1)}\r\n`, 'utf8');
    const agent = await asDirector();

    const held = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv(zeros[0]!, '零 保留')));
    const a = await ingest(agent, held.id);
    expect(a.preview.text).toContain('先頭の 0 を補った番号');
    expect(a.preview.text).toContain(`**** **** ${zeros[0]!.slice(-4)}`);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', held.id).execute()).toHaveLength(0);
    const review = await t.deps.db.selectFrom('ingest_review').select(['reason', 'name']).where('drop_id', '=', held.id).execute();
    expect(review).toEqual([{ reason: 'excel-damaged', name: '零 保留' }]);

    const repaired = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv(zeros[1]!, '零 修復')));
    const csrf = await csrfToken(agent, `/office/drops/${repaired.id}`);
    const start = await agent.post(`/office/drops/${repaired.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    const confirm = await agent.post(`${start.headers.location}/confirm`).type('form').send({ _csrf: csrf, version: '1', repair: 'r0' });
    expect(confirm.status).toBe(303);
    const rows = await t.deps.db.selectFrom('persons').select(['name', 'relation']).where('source_drop_id', '=', repaired.id).execute();
    expect(rows).toEqual([{ name: '零 修復', relation: '本人' }]);
    expect(await t.deps.db.selectFrom('ingest_review').select('id').where('drop_id', '=', repaired.id).execute()).toEqual([]);
  });

  it('lists every drop with its state in Japanese', async () => {
    const fresh = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv(people)), '新しい名簿.csv');
    const agent = await asDirector();
    const res = await agent.get('/office/drops');
    expect(res.status).toBe(200);
    expect(res.text).toContain('新しい名簿.csv');
    expect(res.text).toContain(`/office/drops/${fresh.id}`);
    expect(res.text).toContain('受付済');
    expect(res.text).toContain('廃棄済');
    expect(res.text).toContain('株式会社テスト商事');
  });

  it('no data file and no log line holds any of the synthetic numbers, in any written form', async () => {
    expect(filesContaining(t.dataDir, numbers)).toEqual([]);
    for (const form of numberForms(numbers)) expect(t.logs.text).not.toContain(form);
  });
});
