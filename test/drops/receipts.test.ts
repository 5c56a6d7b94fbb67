import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, verify } from 'node:crypto';
import request from 'supertest';
import { canonicalJson } from '../../server/drops/receipts.js';
import { makeUser, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { FakeClock } from '../helpers/clock.js';
import { clientInRoom, fixture, installOfficeKey, type RoomClient } from './helpers.js';

/**
 * Receipts (drop id, name, size, SHA-256 of the stored ciphertext, time)
 * signed by the server key; the room's history with states; tenancy: another
 * company's drop answers exactly like a random id.
 */
describe.each(testDatabases())('drops: receipts, history and tenancy (on $name)', (target) => {
  let t: TestApp;
  let opened: OpenedTestDatabase;
  let a: RoomClient;
  let b: RoomClient;
  const clock = new FakeClock(Date.parse('2026-03-31T15:30:00.000Z'));

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {}, { clock });
    await installOfficeKey(t.deps);
    a = await clientInRoom(t, 'エー商事株式会社');
    b = await clientInRoom(t, 'ビー工業株式会社');
  });
  afterAll(async () => {
    await t.close();
    await opened.cleanup();
  });

  const uploadJson = (c: RoomClient, name: string, data: Buffer) =>
    c.agent.post(`${c.base}/drops`).set('X-CSRF-Token', c.csrf).set('Accept', 'application/json').attach('files', data, name);

  it('a form POST without JavaScript (token in the URL) gets the receipt page: id, name, size, SHA-256, Japan time', async () => {
    const res = await a.agent
      .post(`${a.base}/drops?_csrf=${encodeURIComponent(a.csrf)}`)
      .set('Accept', 'text/html,application/xhtml+xml')
      .attach('files', fixture('sample_roster.csv'), '社員名簿.csv');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['cache-control']).toContain('no-store');
    const row = await t.deps.db.selectFrom('drops').selectAll().where('company_id', '=', a.company.id).executeTakeFirstOrThrow();
    expect(res.text).toContain('受領証');
    expect(res.text).toContain(row.id);
    expect(res.text).toContain('社員名簿.csv');
    expect(res.text).toContain(row.sha256);
    expect(res.text).toContain(`${row.size}`);
    // Stored in UTC, shown in Japan time: 2026-03-31 15:30:01 UTC is 4月1日 00:30:01 in Tokyo
    // (the fake clock starts one second into a TOTP step).
    expect(row.created_at).toBe('2026-03-31T15:30:01.000Z');
    expect(res.text).toMatch(/2026年4月1日 00:30:01（日本時間）/);
    expect(res.text).toContain('受付済');
    // The page offers the signed form.
    expect(res.text).toContain(`${a.base}/drops/${row.id}/receipt.json`);
  });

  it('a script (Accept: application/json) gets { drops: [receipt…] } with the signing key', async () => {
    const res = await uploadJson(a, 'b.pdf', fixture('sample_list.pdf'));
    expect(res.status).toBe(201);
    expect(res.body.drops).toHaveLength(1);
    const d = res.body.drops[0];
    expect(Object.keys(d.receipt).sort()).toEqual(['dropId', 'fileName', 'receivedAt', 'sha256', 'size', 'v']);
    expect(d.state).toBe('received');
    expect(d.stateLabel).toBe('受付済');
    expect(d.receiptUrl).toBe(`${a.base}/drops/${d.receipt.dropId}/receipt.json`);
    expect(res.body.signing.algorithm).toBe('Ed25519');
    expect(verify(null, Buffer.from(canonicalJson(d.receipt)), res.body.signing.publicKey, Buffer.from(d.signature, 'base64url'))).toBe(true);
  });

  it('the signed receipt verifies with node:crypto, and fails when any field is altered', async () => {
    const up = await uploadJson(a, 'c.csv', fixture('sample_roster.csv'));
    const id = up.body.drops[0].receipt.dropId;
    const res = await a.agent.get(`${a.base}/drops/${id}/receipt.json`);
    expect(res.status).toBe(200);
    const { receipt, signature, publicKey } = res.body;
    expect(receipt.dropId).toBe(id);
    // The SHA-256 is that of the bytes actually stored.
    const row = await t.deps.db.selectFrom('drops').select('stored_key').where('id', '=', id).executeTakeFirstOrThrow();
    const h = createHash('sha256');
    for await (const ch of await t.deps.storage.drops.get(row.stored_key)) h.update(ch as Buffer);
    expect(receipt.sha256).toBe(h.digest('hex'));

    const check = (r: unknown) => verify(null, Buffer.from(canonicalJson(r), 'utf8'), publicKey, Buffer.from(signature, 'base64url'));
    expect(check(receipt)).toBe(true);
    // Key order does not matter for the canonical form.
    expect(check(Object.fromEntries(Object.entries(receipt).reverse()))).toBe(true);
    for (const [field, altered] of [
      ['dropId', (receipt.dropId[0] === 'A' ? 'B' : 'A') + receipt.dropId.slice(1)],
      ['fileName', 'd.csv'],
      ['size', receipt.size + 1],
      ['sha256', (receipt.sha256[0] === '0' ? '1' : '0') + receipt.sha256.slice(1)],
      ['receivedAt', '2026-03-31T15:30:02.000Z'],
    ] as const) {
      expect({ field, ok: check({ ...receipt, [field]: altered }) }).toEqual({ field, ok: false });
    }
  });

  it('the history lists the company\'s drops with their state: 受付済 → 取込済 / 廃棄済', async () => {
    const rows = await t.deps.db.selectFrom('drops').select('id').where('company_id', '=', a.company.id).orderBy('created_at').execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    await t.deps.db.updateTable('drops').set({ state: 'ingested' }).where('id', '=', rows[1]!.id).execute();
    await t.deps.db.updateTable('drops').set({ state: 'disposed' }).where('id', '=', rows[2]!.id).execute();
    const page = await a.agent.get(`${a.base}/drops`);
    expect(page.status).toBe(200);
    for (const label of ['受付済', '取込済', '廃棄済']) expect(page.text).toContain(label);
    for (const r of rows) expect(page.text).toContain(r.id);
    const json = await a.agent.get(`${a.base}/drops`).set('Accept', 'application/json');
    expect(json.body.drops.map((d: { state: string }) => d.state).sort()).toEqual(['disposed', 'ingested', ...Array(rows.length - 2).fill('received')].sort());
    // The no-JS form is on the page, with the CSRF token in its action.
    expect(page.text).toMatch(/<form method="post" enctype="multipart\/form-data" action="\/room\/[A-Za-z0-9_-]{32}\/drops\?_csrf=/);
  });

  it('another company sees none of it: its history is its own', async () => {
    const page = await b.agent.get(`${b.base}/drops`).set('Accept', 'application/json');
    expect(page.body.drops).toEqual([]);
  });

  it("another company's drop id answers exactly like a random id (404), on the page and the signed receipt", async () => {
    const mine = await t.deps.db.selectFrom('drops').select('id').where('company_id', '=', a.company.id).executeTakeFirstOrThrow();
    const random = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const suffix of ['', '/receipt.json']) {
      const theirs = await b.agent.get(`${b.base}/drops/${mine.id}${suffix}`);
      const unknown = await b.agent.get(`${b.base}/drops/${random}${suffix}`);
      expect(theirs.status).toBe(404);
      expect(unknown.status).toBe(404);
      const strip = (s: string) => s.replace(/[0-9a-f]{16}/g, '').replace(/<meta name="csrf-token" content="[^"]*">/, '');
      expect(strip(theirs.text)).toBe(strip(unknown.text));
      expect(theirs.text).not.toContain(mine.id);
    }
  });

  it("a client using another company's room key gets 404, for reading and for uploading (nothing kept)", async () => {
    expect((await b.agent.get(`${a.base}/drops`)).status).toBe(404);
    const mine = await t.deps.db.selectFrom('drops').select('id').where('company_id', '=', a.company.id).executeTakeFirstOrThrow();
    expect((await b.agent.get(`${a.base}/drops/${mine.id}/receipt.json`)).status).toBe(404);
    const before = await t.deps.db.selectFrom('drops').select('id').execute();
    const up = await b.agent.post(`${a.base}/drops`).set('X-CSRF-Token', b.csrf).attach('files', fixture('sample_roster.csv'), 'x.csv');
    expect(up.status).toBe(404);
    expect(await t.deps.db.selectFrom('drops').select('id').execute()).toHaveLength(before.length);
  });

  it('a wrong or revoked room key answers like any unknown address', async () => {
    const wrong = await a.agent.get('/room/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/drops');
    expect(wrong.status).toBe(404);
  });

  it('without a session there are no drops to see or send', async () => {
    const page = await request(t.app).get(`${a.base}/drops`);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(a.base);
    expect((await request(t.app).get(`${a.base}/drops`).set('Accept', 'application/json')).status).toBe(401);
    expect((await request(t.app).post(`${a.base}/drops`).attach('files', fixture('sample_roster.csv'), 'x.csv')).status).toBe(403);
  });

  it('office staff do not use the client room routes', async () => {
    const staff = await makeUser(t.deps, { role: 'staff' });
    const { agent } = await signedInAgent(t.app, t.deps, staff);
    expect((await agent.get(`${a.base}/drops`)).status).toBe(403);
  });

  it('each receipt is in the audit trail as drop.receive, with counts only', async () => {
    const rows = await t.deps.db.selectFrom('audit_log').select(['action', 'company_id', 'target_ids', 'details']).where('action', '=', 'drop.receive').execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) {
      expect(r.company_id).toBe(a.company.id);
      expect(Object.keys(JSON.parse(r.details)).sort()).toEqual(['clientEncrypted', 'files', 'serverEncrypted']);
      expect(r.details).not.toContain('.csv');
    }
  });

  it('each arrival is handed to the office notices (ids only)', async () => {
    const n = await t.deps.db.selectFrom('notice_arrivals').select('drop_id').where('company_id', '=', a.company.id).execute();
    const drops = await t.deps.db.selectFrom('drops').select('id').where('company_id', '=', a.company.id).execute();
    expect(n.map((x) => x.drop_id).sort()).toEqual(drops.map((d) => d.id).sort());
  });
});
