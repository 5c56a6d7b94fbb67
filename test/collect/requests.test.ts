import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { limits } from '../../server/config.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, makeCompany, makeUser, signedInAgent } from '../helpers/actors.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';

const LINK = /http:\/\/kinko\.example\.jp\/c\/([A-Za-z0-9_-]{32})/;

describe.each(testDatabases())('collection requests (issue 18 §1), on $name', (target) => {
  let smtp: SmtpSink;
  let db: OpenedTestDatabase;
  let clock: ManualClock;
  let t: TestApp;

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
  });
  afterEach(async () => {
    await t.close();
    await db.cleanup();
  });

  async function clientRoom(name = 'さくら精機株式会社') {
    const company = await makeCompany(t.deps, name);
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const { agent } = await signedInAgent(t.app, t.deps, client);
    const base = `/room/${company.accessKey}/collect`;
    return { company, client, agent, base, csrf: await csrfToken(agent, base) };
  }

  const rows = (people: Array<[string, string, string]>) =>
    people.flatMap(([name, code, email]) => [`name=${encodeURIComponent(name)}`, `code=${encodeURIComponent(code)}`, `email=${encodeURIComponent(email)}`]).join('&');

  it('when the client asks three employees, two with an address, two e-mails go out through SMTP, the third comes back as a printable slip with a QR code, and the room shows 依頼済 for each', async () => {
    const { company, agent, base, csrf } = await clientRoom();
    const res = await agent
      .post(base)
      .set('X-CSRF-Token', csrf)
      .type('form')
      .send(rows([['山田 太郎', 'E001', 'taro@example.jp'], ['佐藤 花子', 'E002', 'hanako@example.jp'], ['鈴木 一郎', 'E003', ''], ['', '', '']]));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('鈴木 一郎');
    expect(res.text).toContain('<svg');
    const slipLink = LINK.exec(res.text)?.[1];
    expect(slipLink).toBeDefined();

    await smtp.waitFor(2);
    expect(smtp.messages.map((m) => m.rcptTo[0]).sort()).toEqual(['hanako@example.jp', 'taro@example.jp']);
    const mail = smtp.messages.find((m) => m.rcptTo[0] === 'taro@example.jp')!;
    expect(mail.subject).toContain('さくら精機株式会社');
    expect(mail.text).toContain('山田 太郎');
    expect(mail.text).not.toContain('佐藤');
    const links = smtp.messages.map((m) => LINK.exec(m.text)?.[1]);
    expect(new Set([...links, slipLink]).size).toBe(3);

    // Only hashes are stored: no link in the clear in any row.
    const stored = await t.deps.db.selectFrom('collect_requests').selectAll().execute();
    expect(stored).toHaveLength(3);
    const dump = JSON.stringify(stored);
    for (const l of [...links, slipLink]) expect(dump).not.toContain(l!);
    expect(stored.every((r) => r.company_id === company.id && r.status === 'requested')).toBe(true);

    const page = await agent.get(base);
    expect(page.status).toBe(200);
    expect(page.text.match(/data-status="requested"/g)).toHaveLength(3);
    expect(page.text).toContain('依頼済');

    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'collect.requested').execute();
    expect(audit).toHaveLength(3);
    expect(audit.every((a) => a.company_id === company.id && a.actor_role === 'client')).toBe(true);
    expect(audit.map((a) => JSON.parse(a.target_ids)[0]).sort()).toEqual(stored.map((r) => r.id).sort());
  });

  it('when a request is older than its link, the room shows 期限切れ', async () => {
    const { agent: first, base, csrf } = await clientRoom();
    await first.post(base).set('X-CSRF-Token', csrf).type('form').send(rows([['山田 太郎', '', 'taro@example.jp']]));
    clock.advance(limits.collect.linkTtlMs + 1);
    const client = await makeUser(t.deps, { role: 'client', companyId: (await t.deps.db.selectFrom('collect_requests').select('company_id').executeTakeFirstOrThrow()).company_id });
    const page = await (await signedInAgent(t.app, t.deps, client)).agent.get(base);
    expect(page.text).toContain('data-status="expired"');
    expect(page.text).toContain('期限切れ');
  });

  it('when the client revokes a request it shows 取消済; another company cannot revoke it (404)', async () => {
    const a = await clientRoom();
    const b = await clientRoom('ほかの会社');
    await a.agent.post(a.base).set('X-CSRF-Token', a.csrf).type('form').send(rows([['山田 太郎', '', 'taro@example.jp']]));
    const row = await t.deps.db.selectFrom('collect_requests').select('id').executeTakeFirstOrThrow();
    const foreign = await b.agent.post(`${b.base}/${row.id}/revoke`).set('X-CSRF-Token', b.csrf);
    expect(foreign.status).toBe(404);
    const random = await a.agent.post(`${a.base}/nosuchrequest/revoke`).set('X-CSRF-Token', a.csrf);
    expect(random.status).toBe(404);
    const own = await a.agent.post(`${a.base}/${row.id}/revoke`).set('X-CSRF-Token', a.csrf);
    expect(own.status).toBe(303);
    const page = await a.agent.get(a.base);
    expect(page.text).toContain('data-status="revoked"');
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.revoked').execute()).toHaveLength(1);
  });

  it('when a form is blank, names a long run of digits, or has a bad address, nothing is issued and the message says why', async () => {
    const { agent, base, csrf } = await clientRoom();
    const blank = await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(rows([['', '', '']]));
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('依頼する従業員を一人以上入力してください');
    const digits = await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(rows([['山田', '1234 5678 9018', '']]));
    expect(digits.status).toBe(400);
    expect(digits.text).toContain('従業員コード');
    const email = await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(rows([['山田', '', 'not-an-address']]));
    expect(email.status).toBe(400);
    expect(await t.deps.db.selectFrom('collect_requests').select('id').execute()).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('when the office asks from the company page, the request is the company’s and the room lists it; another client’s room does not', async () => {
    const { company, agent, base } = await clientRoom();
    const other = await clientRoom('ほかの会社');
    const staff = await makeUser(t.deps, { role: 'staff' });
    const office = (await signedInAgent(t.app, t.deps, staff)).agent;
    const page = `/office/companies/${company.id}/collect`;
    const csrf = await csrfToken(office, page);
    const res = await office.post(page).set('X-CSRF-Token', csrf).type('form').send(rows([['山田 太郎', 'E001', 'taro@example.jp']]));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${page}?sent=1`);
    await smtp.waitFor(1);
    expect((await agent.get(base)).text).toContain('山田 太郎');
    expect((await other.agent.get(other.base)).text).not.toContain('山田 太郎');
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'collect.requested').executeTakeFirstOrThrow();
    expect(audit.actor_role).toBe('staff');
    expect(audit.company_id).toBe(company.id);
    // A client cannot reach the office page at all.
    expect((await agent.get(page)).status).toBe(404);
    expect((await request(t.app).get(page)).status).not.toBe(200);
  });

  it('when the SMTP server refuses a message, that person’s link comes back as a slip instead of being lost', async () => {
    const { agent, base, csrf } = await clientRoom();
    smtp.refuseNext(1);
    const res = await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(rows([['山田 太郎', '', 'taro@example.jp']]));
    expect(res.status).toBe(200);
    expect(res.text).toContain('メールを送れませんでした');
    expect(LINK.test(res.text)).toBe(true);
    expect(t.logs.text).not.toContain('taro@example.jp');
  });
});
