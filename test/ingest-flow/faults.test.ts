import { randomId } from '../../server/lib/random.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ingestRuntime } from '../../server/ingest/runtime.js';
import { acquireParseSlot, parseSlots, spareParseWorker, startParseWorkers, stopParseWorkers } from '../../server/ingest/worker/pool.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { until } from '../helpers/until.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, FIXTURES, numberForms, rosterCsv, STAFF_PASSPHRASE, vaultKeys, type ArrangedDrop, type Office } from '../helpers/ingest-office.js';
import { dropDisposalRow } from '../helpers/disposal.js';

/**
 * What can go wrong when starting an ingest, and that each of it leaves the
 * drop exactly as it was — intact in storage, still 受付済, and retryable.
 */
describe.each(testDatabases())('ingest flow: who may start, and files that cannot be read (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  const numbers = syntheticMyNumbers(8, 777);
  const roster = () => rosterCsv([
    { code: 'A1', name: '青木 一', kana: 'アオキ ハジメ', number: numbers[0]! },
    { code: 'A2', name: '石井 二郎', kana: 'イシイ ジロウ', number: numbers[1]! },
  ]);

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    office = await arrangeOffice(t.deps);
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  async function agentOf(user: Office['director']) {
    const { agent } = await signedInAgent(t.app, t.deps, user);
    return { agent, csrf: await csrfToken(agent, '/office/drops') };
  }

  /** The drop is exactly as the room left it: object present with the same bytes, row received, nothing in the vault for it. */
  async function expectIntact(drop: ArrangedDrop) {
    const info = await t.deps.storage.drops.head(drop.storedKey);
    expect(info.size).toBe(drop.size);
    const row = await t.deps.db.selectFrom('drops').select(['state', 'sha256']).where('id', '=', drop.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'received', sha256: drop.sha256 });
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute()).toEqual([]);
    const job = await t.deps.db.selectFrom('ingest_jobs').select('state').where('drop_id', '=', drop.id).executeTakeFirst();
    expect(job === undefined || job.state === 'released').toBe(true);
  }

  it('two staff start the same ingest at once: exactly one proceeds, the other is told who has it and since when', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, roster()));
    const a = await agentOf(office.director);
    const b = await agentOf(office.holder);
    const [ra, rb] = await Promise.all([
      a.agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: a.csrf, passphrase: DIRECTOR.keyPassphrase }),
      b.agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: b.csrf, passphrase: STAFF_PASSPHRASE }),
    ]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual([303, 409]);
    const loser = ra.status === 409 ? ra : rb;
    const winnerName = ra.status === 303 ? '山田 花子' : '佐藤 一郎';
    expect(loser.text).toContain(`${winnerName} さんが`);
    expect(loser.text).toMatch(/さんが \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/); // since when
    const job = await t.deps.db.selectFrom('ingest_jobs').selectAll().where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
    expect(job.state).toBe('previewing');
    expect(job.attempt).toBe(1);

    // The other person opening the drop page sees who is on it, and no form.
    const loserAgent = ra.status === 409 ? a.agent : b.agent;
    const page = await loserAgent.get(`/office/drops/${drop.id}`);
    expect(page.text).toContain('取込中');
    expect(page.text).toContain(winnerName);
    expect(page.text).not.toContain('name="passphrase"');
    // …and cannot open or confirm the winner's preview.
    const jobUrl = `/office/ingest/${job.id}`;
    expect((await loserAgent.get(jobUrl)).status).toBe(410);
    const csrf = ra.status === 409 ? a.csrf : b.csrf;
    expect((await loserAgent.post(`${jobUrl}/confirm`).type('form').send({ _csrf: csrf, version: '1' })).status).toBe(410);

    // The winner can cancel: the drop is free again, untouched.
    const winner = ra.status === 303 ? a : b;
    const cancel = await winner.agent.post(`${jobUrl}/cancel`).type('form').send({ _csrf: winner.csrf });
    expect(cancel.status).toBe(303);
    await expectIntact(drop);
  });

  it('a wrong key passphrase is told plainly and changes nothing', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, roster()));
    const { agent, csrf } = await agentOf(office.holder);
    const res = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: 'not-my-passphrase' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('鍵のパスフレーズが違います');
    expect(res.text).not.toContain('not-my-passphrase');
    expect(await t.deps.db.selectFrom('ingest_jobs').select('id').where('drop_id', '=', drop.id).execute()).toEqual([]);
    await expectIntact(drop);
  });

  it('staff who hold no key see why they cannot ingest, and a POST is refused; clients get 404', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, roster()));
    const { agent, csrf } = await agentOf(office.plain);
    const page = await agent.get(`/office/drops/${drop.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('事務所の鍵を預かっていないため、取り込みはできません');
    expect(page.text).not.toContain('name="passphrase"');
    const res = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: 'whatever-it-is' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('事務所の鍵を預かっていないため');
    await expectIntact(drop);

    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    expect((await client.get('/office/drops')).status).toBe(404);
    expect((await client.get(`/office/drops/${drop.id}`)).status).toBe(404);
  });

  const unreadable: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['corrupt OpenPGP (bits flipped in the encrypted data)', async () => {
      const c = await encryptToOffice(t.deps.db, roster());
      for (let i = c.length - 40; i < c.length - 20; i++) c[i] ^= 0xff;
      return c;
    }, /暗号化されたファイルが壊れている/],
    ['not OpenPGP at all', async () => randomBytes(300), /暗号化されたファイルが壊れている/],
    ['a password-protected xlsx', async () => encryptToOffice(t.deps.db, fs.readFileSync(path.join(FIXTURES, 'encrypted.xlsx'))), /パスワードが掛かっている/],
    ['a roster without a My Number column', async () => encryptToOffice(t.deps.db, Buffer.from('社員番号,氏名,電話番号\r\nE1,青木 一,090-1234-5678\r\n')), /個人番号（マイナンバー）の列が見つかりません/],
  ];

  it.each(unreadable)('%s: a clear message, the drop intact and marked unreadable; it is read again only when asked deliberately', async (_what, make, message) => {
    const drop = await arrangeDrop(t.deps, office, await make());
    const before = await vaultKeys(t.deps);
    const { agent, csrf } = await agentOf(office.holder);
    const first = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(first.status).toBeGreaterThanOrEqual(400);
    expect(first.status).toBeLessThan(500);
    expect(first.text).toMatch(message);
    // Issue 12: marked so, with its reason; the form offered is the deliberate "read again".
    expect(first.text).toContain('このファイルは読み取れませんでした');
    expect(first.text).toContain('name="readAgain" value="1"');
    await expectIntact(drop);
    // A plain start does not read it again blindly.
    const plain = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(plain.status).toBe(409);
    expect(plain.text).toContain('前回読み取れませんでした');
    // Read again deliberately: the same clear message, and nothing harmed.
    const again = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE, readAgain: '1' });
    expect(again.status).toBe(first.status);
    expect(again.text).toMatch(message);
    expect(again.text).toContain('name="passphrase"'); // the form is there to try again
    await expectIntact(drop);
    expect(await vaultKeys(t.deps)).toEqual(before);
    const job = await t.deps.db.selectFrom('ingest_jobs').select(['attempt', 'last_error', 'unreadable_at', 'unreadable_count']).where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
    expect(job.attempt).toBe(2);
    expect(job.last_error).toMatch(/^ingest(Flow)?\.errors\./);
    expect(job.unreadable_at).not.toBeNull();
    expect(Number(job.unreadable_count)).toBe(2);
  });

  it('a drop that failed to read, then read successfully (e.g. after an update), is no longer marked', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, roster()));
    // The job row as a failed first attempt leaves it (a fresh drop has none yet).
    const now = new Date().toISOString();
    await t.deps.db
      .insertInto('ingest_jobs')
      .values({ id: randomId(16), drop_id: drop.id, company_id: office.company.id, state: 'released', attempt: 1, last_error: 'ingest.errors.corrupt', unreadable_at: now, unreadable_count: 1, created_at: now, updated_at: now })
      .execute();
    const { agent, csrf } = await agentOf(office.holder);
    expect((await agent.get(`/office/drops/${drop.id}`)).text).toContain('name="readAgain" value="1"');
    const res = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE, readAgain: '1' });
    expect(res.status).toBe(303);
    const job = await t.deps.db.selectFrom('ingest_jobs').select(['unreadable_at']).where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
    expect(job.unreadable_at).toBeNull();
  });

  it('a confirmation reaching a process without the preview asks to start again, and starting again works', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, roster()));
    const { agent, csrf } = await agentOf(office.holder);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    const url = start.headers.location as string;
    ingestRuntime(t.deps).cache.clear(); // what another instance, or this one after a restart, holds
    const gone = await agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version: '1' });
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('取り込みを始め直してください');
    await expectIntact(drop);

    const again = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(again.status).toBe(303);
    const ok = await agent.post(`${again.headers.location}/confirm`).type('form').send({ _csrf: csrf, version: '1' });
    expect(ok.status).toBe(303);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute()).toHaveLength(2);
  });

  it('a second confirmation (double click) commits nothing twice', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv([{ code: 'D1', name: '二重 押し', kana: 'ニジュウ', number: numbers[4]! }])));
    const { agent, csrf } = await agentOf(office.holder);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    const url = start.headers.location as string;
    const before = (await vaultKeys(t.deps)).length;
    const [x, y] = await Promise.all([1, 2].map(() => agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version: '1' })));
    expect([x!.status, y!.status].sort()).toEqual([303, 410]);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute()).toHaveLength(1);
    expect((await vaultKeys(t.deps)).length).toBe(before + 1);
  });

  /** The preview of the ambiguous fixture, and the form fields that choose its column B as the My Number column. */
  async function ambiguousPreview() {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, fs.readFileSync(path.join(FIXTURES, 'ambiguous.csv'))));
    const { agent, csrf } = await agentOf(office.holder);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    const url = start.headers.location as string;
    const first = await agent.get(url);
    const radio = /name="col(\d+)" value="(\d+)"> B 列/.exec(first.text)!;
    return { drop, agent, csrf, url, first, chooseB: { _csrf: csrf, version: '1', [`col${radio[1]}`]: radio[2]! } };
  }

  it('an ambiguous My Number column is chosen by staff, and the file is read again with that choice', async () => {
    const { drop, agent, csrf, url, first, chooseB } = await ambiguousPreview();
    expect(first.text).toContain('個人番号の列を選んでください');
    expect(first.text).toContain('B 列（見出し: 個人番号）');
    const chose = await agent.post(`${url}/columns`).type('form').send(chooseB);
    expect(chose.status).toBe(303);
    const second = await agent.get(url);
    expect(second.text).not.toContain('個人番号の列を選んでください');
    expect(second.text).toContain('山﨑 美咲');
    expect(second.text).toContain('**** **** 8109');
    // The old form (version 1) is refused after the re-read.
    const stale = await agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version: '1' });
    expect(stale.status).toBe(303);
    expect(stale.headers.location).toBe(`${url}?changed=1`);
    const ok = await agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version: '2' });
    expect(ok.status).toBe(303);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).execute()).toHaveLength(6);
  });

  it('when a key holder opens a drop they can ingest, a parse thread starts warming up while they type their passphrase', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv([{ code: 'W1', name: '準備 太郎', kana: 'ジュンビ', number: numbers[6]! }])));
    const { agent } = await agentOf(office.holder);
    await startParseWorkers({ idleMs: 300 });
    try {
      await until(() => spareParseWorker() === 'none'); // the server has been idle: no spare held
      expect((await agent.get(`/office/drops/${drop.id}`)).status).toBe(200);
      await until(() => spareParseWorker() !== 'none');
    } finally {
      await stopParseWorkers();
    }
  });

  it('when the re-read with the chosen column cannot run (every parse slot busy), staff stay on the earlier preview and are told why', async () => {
    const { agent, url, chooseB } = await ambiguousPreview();
    // Other ingests hold every parse slot for longer than a re-read waits (pool.ts QUEUE_WAIT_MS).
    const held = await Promise.all(Array.from({ length: parseSlots().max }, () => acquireParseSlot(0)));
    let chose;
    try {
      chose = await agent.post(`${url}/columns`).type('form').send(chooseB);
    } finally {
      for (const release of held) release();
    }
    expect(chose.status).toBe(303);
    expect(chose.headers.location).toBe(`${url}?reread=busy`);
    const back = await agent.get(chose.headers.location as string);
    expect(back.status).toBe(200);
    expect(back.text).toContain('選んだ列で読み直せませんでした。下は前の内容のままです。');
    expect(back.text).toContain('個人番号の列を選んでください');
    // Nothing was lost: the same choice now goes through.
    const again = await agent.post(`${url}/columns`).type('form').send(chooseB);
    expect(again.headers.location).toBe(url);
    expect((await agent.get(url)).text).toContain('**** **** 8109');
  }, 30_000);

  it('when the original cannot be shown gone, no disposal record is claimed; the drop page offers a retry that finishes it', async () => {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv([{ code: 'V1', name: '検証 太郎', kana: 'ケンショウ', number: numbers[5]! }])));
    const { agent, csrf } = await agentOf(office.holder);
    const store = t.deps.storage.drops as { delete: (key: string) => Promise<void> };
    const realDelete = store.delete;
    store.delete = async () => {}; // a backend that silently keeps the object
    try {
      const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
      const confirm = await agent.post(`${start.headers.location}/confirm`).type('form').send({ _csrf: csrf, version: '1' });
      expect(confirm.status).toBe(303);
    } finally {
      store.delete = realDelete;
    }
    const job = await t.deps.db.selectFrom('ingest_jobs').select('state').where('drop_id', '=', drop.id).executeTakeFirstOrThrow();
    expect(job.state).toBe('committed');
    expect(await dropDisposalRow(t.deps.db, drop.id)).toBeNull();
    expect((await t.deps.storage.drops.head(drop.storedKey)).size).toBe(drop.size);
    const page = await agent.get(`/office/drops/${drop.id}`);
    expect(page.text).toContain('取込済');
    expect(page.text).toContain('原本の削除をまだ確認できていません');

    const retry = await agent.post(`/office/drops/${drop.id}/dispose`).type('form').send({ _csrf: csrf });
    expect(retry.status).toBe(303);
    expect(await t.deps.storage.drops.remnants(drop.storedKey)).toEqual([]);
    const record = await dropDisposalRow(t.deps.db, drop.id);
    expect(record).toMatchObject({ sha256: drop.sha256, size: drop.size, method: 'storage-delete-all-versions', by_user: office.holder.id });
    const after = await agent.get(`/office/drops/${drop.id}`);
    expect(after.text).toContain('廃棄済');
    expect(after.text).toContain(drop.sha256);
  });

  it('no log line holds a synthetic number', () => {
    for (const form of numberForms(numbers)) expect(t.logs.text).not.toContain(form);
  });
});
