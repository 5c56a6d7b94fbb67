import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { arrangeOffice, encryptToOffice, type Office } from '../helpers/ingest-office.js';
import { numbersIn } from '../helpers/vault-office.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';

const LINK = /\/c\/([A-Za-z0-9_-]{32})/;
/** An error page without what differs per request (its id). */
const shape = (r: request.Response) => ({ status: r.status, body: r.text.replace(/[A-Za-z0-9_-]{16,}/g, '…') });

describe.each(testDatabases())("the employee's link (issue 18 §2), on $name", (target) => {
  let smtp: SmtpSink;
  let db: OpenedTestDatabase;
  let clock: ManualClock;
  let t: TestApp;
  let office: Office;
  const [own, spouse] = syntheticMyNumbers(2, 18);

  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(async () => {
    smtp.messages.length = 0;
    db = await target.open();
    clock = fakeClock('2026-04-01T00:00:00.000Z');
    t = await makeTestApp({ KINKO_SMTP_URL: smtp.url, KINKO_DATABASE_URL: databaseUrl(db), KINKO_PUBLIC_URL: 'http://kinko.example.jp' }, { clock });
    office = await arrangeOffice(t.deps);
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  /** The client asks `names.length` employees by e-mail; their links, in order. */
  async function ask(names: string[], company = office.company, client = office.client) {
    const { agent } = await signedInAgent(t.app, t.deps, client);
    const base = `/room/${company.accessKey}/collect`;
    const csrf = await csrfToken(agent, base);
    const body = names.map((n, i) => `name=${encodeURIComponent(n)}&code=E${i}&email=p${i}%40example.jp`).join('&');
    smtp.messages.length = 0;
    await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(body).expect(303);
    await smtp.waitFor(names.length);
    return names.map((_, i) => LINK.exec(smtp.messages.find((m) => m.rcptTo[0] === `p${i}@example.jp`)!.text)![1]!);
  }

  /** The employee's browser: its own cookie jar, the CSRF token of the page it has open. */
  async function employee(link: string) {
    const agent = request.agent(t.app);
    const page = await agent.get(`/c/${link}`);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1] ?? '';
    return { agent, page, csrf };
  }

  async function acknowledged(link: string) {
    const e = await employee(link);
    await e.agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: e.csrf, version: '0' }).expect(303);
    return e;
  }

  const submission = () => Buffer.from(JSON.stringify({ v: 1, persons: [{ relation: 'self', name: '山田 太郎', birth: '1990-01-01', number: own }, { relation: 'spouse', name: '山田 花子', birth: '1991-02-02', number: spouse }], identity: { kind: 'card', images: [] } }));

  it('when the employee opens the link, the purpose notice comes first (no-store); the opening is audited once; acknowledging records version and time, and the form follows', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await employee(link!);
    expect(e.page.status).toBe(200);
    expect(e.page.headers['cache-control']).toBe('no-store');
    expect(e.page.text).toContain('利用目的のお知らせ');
    expect(e.page.text).toContain('山田 太郎');
    await e.agent.get(`/c/${link}`).expect(200);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.opened').execute()).toHaveLength(1);

    clock.advance(60_000);
    await e.agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: e.csrf, version: '0' }).expect(303);
    const row = await t.deps.db.selectFrom('collect_requests').selectAll().executeTakeFirstOrThrow();
    expect(row.notice_version).toBe(0);
    expect(row.acknowledged_at).toBe('2026-04-01T00:01:00.000Z');
    const ack = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'collect.acknowledged').executeTakeFirstOrThrow();
    expect(JSON.parse(ack.details)).toEqual({ noticeVersion: 0 });
    expect(ack.actor_role).toBe('employee');
    expect(ack.company_id).toBe(office.company.id);

    const form = await e.agent.get(`/c/${link}`);
    expect(form.text).toContain('id="collect-form"');
    expect(form.text).toContain('JavaScript');
    // Each identity image may be taken with the camera or chosen from the phone's photos or files: a `capture`
    // attribute would make Android and iOS open the camera only, so a photo taken earlier could not be sent.
    const inputs = form.text.match(/<input[^>]*type="file"[^>]*>/g) ?? [];
    expect(inputs).toHaveLength(4);
    expect(inputs.filter((i) => /\bcapture\b/.test(i))).toEqual([]);
  });

  it('when the office writes its own notice, the employee reads that version; an acknowledgement of the older text is refused with a plain message', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await employee(link!);
    const { agent } = await signedInAgent(t.app, t.deps, office.holder);
    const page = `/office/companies/${office.company.id}/collect/notice`;
    const csrf = await csrfToken(agent, page);
    await agent.post(page).set('X-CSRF-Token', csrf).type('form').send({ body: '当事務所は、雇用保険の届出のためにのみ利用します。' }).expect(303);
    const stale = await e.agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: e.csrf, version: '0' });
    expect(stale.status).toBe(400);
    expect(stale.text).toContain('利用目的の文面が更新されました');
    const fresh = await e.agent.get(`/c/${link}`);
    expect(fresh.text).toContain('雇用保険の届出のためにのみ');
    expect(fresh.text).toContain('文面の版：1');
    await e.agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: e.csrf, version: '1' }).expect(303);
    expect((await t.deps.db.selectFrom('collect_requests').select('notice_version').executeTakeFirstOrThrow()).notice_version).toBe(1);
  });

  it('when an encrypted submission arrives it is stored as sent, the request shows 提出済, a retry with the same attempt id gets the same receipt, and then the link is dead', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await acknowledged(link!);
    const cipher = await encryptToOffice(t.deps.db, submission());
    const send = (ref: string, body = cipher) => e.agent.post(`/c/${link}/submit`).set('X-CSRF-Token', e.csrf).set('X-Kinko-Ref', ref).set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(body);
    const first = await send('attempt-one-0123456789');
    if (first.status !== 201) console.log(t.logs.lines.filter((l) => l.includes('"level":50') || l.includes('error')).join('\n'));
    expect(first.status).toBe(201);
    const again = await send('attempt-one-0123456789');
    expect(again.status).toBe(201);
    expect(again.body.receipt).toBe(first.body.receipt);
    expect((await send('attempt-two-0123456789')).status).toBe(404);
    expect((await e.agent.get(`/c/${link}`)).status).toBe(404);

    const sub = await t.deps.db.selectFrom('collect_submissions').selectAll().executeTakeFirstOrThrow();
    expect(sub.size).toBe(cipher.length);
    const stored = await t.deps.storage.drops.get(sub.stored_key);
    const chunks: Buffer[] = [];
    for await (const c of stored) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(cipher)).toBe(true);
    expect((await t.deps.db.selectFrom('collect_requests').select('status').executeTakeFirstOrThrow()).status).toBe('submitted');
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.submitted').execute()).toHaveLength(1);
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    const room = await agent.get(`/room/${office.company.accessKey}/collect`);
    expect(room.text).toContain('data-status="submitted"');
    expect(numbersIn(room.text + t.logs.text, [own!, spouse!])).toEqual([]);
  });

  it('when the body is not an OpenPGP message to the office key, it is refused with a plain message and nothing is kept', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await acknowledged(link!);
    const res = await e.agent.post(`/c/${link}/submit`).set('X-CSRF-Token', e.csrf).set('X-Kinko-Ref', 'attempt-plain-0123456789').set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(submission());
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('暗号化されていない内容は受け付けられません');
    expect(await t.deps.db.selectFrom('collect_submissions').select('id').execute()).toHaveLength(0);
    const keys: string[] = [];
    for await (const k of t.deps.storage.drops.list('')) keys.push(String(k));
    expect(keys).toHaveLength(0);
    expect(numbersIn(t.logs.text, [own!, spouse!])).toEqual([]);
  });

  it('when a submission is sent to a wrong link, it is refused with the plain 404 while the body is still coming, before the server takes it in', async () => {
    const [link] = await ask(['山田 太郎']);
    const server = http.createServer(t.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      // A real browser session (cookie, CSRF token of the page it has open) sending to a link that does not exist.
      const page = await fetch(`http://127.0.0.1:${port}/c/${link}`);
      const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;
      const declared = 48 * 1024 * 1024;
      const answer = new Promise<{ status: number; sentBytes: number }>((resolve, reject) => {
        let sent = 0;
        const req = http.request({
          host: '127.0.0.1', port, method: 'POST', path: `/c/${'B'.repeat(32)}/submit`,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': declared, 'X-CSRF-Token': csrf, 'X-Kinko-Ref': 'attempt-wrong-0123456789', Accept: 'application/json', Cookie: cookie },
        }, (res) => { res.resume(); resolve({ status: res.statusCode!, sentBytes: sent }); });
        req.on('error', reject);
        // 1 MiB of the declared 48 MiB, then nothing: only an answer given before the body is read can arrive.
        req.write(Buffer.alloc(1024 * 1024), () => { sent = 1024 * 1024; });
        setTimeout(() => { req.destroy(); reject(new Error('no answer while the body was coming: the server waited for all of it')); }, 10_000).unref();
      });
      const got = await answer;
      expect(got.status).toBe(404);
      expect(got.sentBytes).toBeLessThan(declared);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('when the employee has not acknowledged the notice, a submission is refused', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await employee(link!);
    const res = await e.agent.post(`/c/${link}/submit`).set('X-CSRF-Token', e.csrf).set('X-Kinko-Ref', 'attempt-early-0123456789').set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(await encryptToOffice(t.deps.db, submission()));
    expect(res.status).toBe(400);
    expect(await t.deps.db.selectFrom('collect_submissions').select('id').execute()).toHaveLength(0);
  });

  it('when the employee declines, the reason is kept without any run of digits, the trail says only that there was one, and the room shows 辞退', async () => {
    const [link] = await ask(['山田 太郎']);
    const e = await employee(link!);
    const typed = `カードを紛失中のため。番号は ${variants(own!)[1]} です`;
    const res = await e.agent.post(`/c/${link}/decline`).type('form').send({ _csrf: e.csrf, reason: typed });
    expect(res.status).toBe(200);
    expect(res.text).toContain('辞退を受け付けました');
    const row = await t.deps.db.selectFrom('collect_requests').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe('declined');
    expect(row.decline_reason).toContain('カードを紛失中のため');
    expect(row.decline_reason).not.toMatch(/\d{2}/);
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'collect.declined').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details)).toEqual({ reasonGiven: true });
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    const room = await agent.get(`/room/${office.company.accessKey}/collect`);
    expect(room.text).toContain('辞退');
    expect(room.text).not.toContain('紛失');
    expect((await e.agent.get(`/c/${link}`)).status).toBe(404);
  });

  it('when a link is used, expired, revoked, of a closed room, random or not link-shaped, it answers exactly like any unknown address', async () => {
    const [used, expiring, revoked, closed] = await ask(['一', '二', '三', '四']);
    const e = await employee(used!);
    await e.agent.post(`/c/${used}/decline`).type('form').send({ _csrf: e.csrf, reason: '' }).expect(200);
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    const base = `/room/${office.company.accessKey}/collect`;
    const rows = await t.deps.db.selectFrom('collect_requests').select(['id', 'person_name']).execute();
    const csrf = await csrfToken(agent, base);
    await agent.post(`${base}/${rows.find((r) => r.person_name === '三')!.id}/revoke`).set('X-CSRF-Token', csrf).expect(303);
    // 四's row is moved to another company whose room is closed.
    const other = await makeCompany(t.deps, '閉鎖した会社');
    await t.deps.db.updateTable('companies').set({ status: 'revoked' }).where('id', '=', other.id).execute();
    await t.deps.db.updateTable('collect_requests').set({ company_id: other.id }).where('id', '=', rows.find((r) => r.person_name === '四')!.id).execute();
    await t.deps.db.updateTable('collect_requests').set({ expires_at: '2026-04-01T00:00:00.000Z' }).where('id', '=', rows.find((r) => r.person_name === '二')!.id).execute();
    void expiring;

    const unknown = shape(await request(t.app).get('/no/such/page'));
    const random = shape(await request(t.app).get(`/c/${'A'.repeat(32)}`));
    expect(random).toEqual(unknown);
    for (const l of [used, expiring, revoked, closed, 'short', `${used}x`]) {
      expect(shape(await request(t.app).get(`/c/${l}`))).toEqual(unknown);
    }
  });

  it('when one address keeps guessing links, it is stopped after the limit — even for a real link — until the block ends; the log never shows a link', async () => {
    const [link] = await ask(['山田 太郎']);
    for (let i = 0; i < limits.collect.guessFailures; i++) {
      expect((await request(t.app).get(`/c/${String(i).padStart(32, 'x')}`)).status).toBe(404);
    }
    const blocked = await request(t.app).get(`/c/${link}`);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('試行が多すぎます');
    clock.advance(limits.collect.guessBlockMs + 1);
    expect((await request(t.app).get(`/c/${link}`)).status).toBe(200);
    expect(t.logs.text).not.toContain(link!);
  });

  it('when another company has a request, its client cannot see it and its link opens only its own company’s page', async () => {
    const other = await makeCompany(t.deps, '別会社株式会社');
    const otherClient = await makeUser(t.deps, { role: 'client', companyId: other.id });
    const [link] = await ask(['別会社の人'], other, otherClient);
    const e = await employee(link!);
    expect(e.page.text).toContain('別会社株式会社');
    expect(e.page.text).not.toContain(office.company.name);
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    expect((await agent.get(`/room/${office.company.accessKey}/collect`)).text).not.toContain('別会社の人');
  });
});
