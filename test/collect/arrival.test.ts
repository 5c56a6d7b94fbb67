import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { ingestCohort, openVaultSession } from '../../server/vault/index.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { everyCell, filesUnder, numbersIn, numbersInBytes } from '../helpers/vault-office.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';
import fs from 'node:fs';

const LINK = /\/c\/([A-Za-z0-9_-]{32})/;

describe.each(testDatabases())('arrival of a submission in the office (issue 18 §3), on $name', (target) => {
  let smtp: SmtpSink;
  let db: OpenedTestDatabase;
  let clock: ManualClock;
  let t: TestApp;
  let office: Office;
  const [own, spouse, child, other] = syntheticMyNumbers(4, 1803);
  const picture = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(500)]);

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

  async function linkFor(name: string, email = 'taro@example.jp') {
    const { agent } = await signedInAgent(t.app, t.deps, office.client);
    const base = `/room/${office.company.accessKey}/collect`;
    const csrf = await csrfToken(agent, base);
    smtp.messages.length = 0;
    await agent.post(base).set('X-CSRF-Token', csrf).type('form').send(`name=${encodeURIComponent(name)}&code=E100&email=${encodeURIComponent(email)}`).expect(303);
    await smtp.waitFor(1);
    return LINK.exec(smtp.messages[0]!.text)![1]!;
  }

  const payload = (numbers: string[]) => ({
    v: 1,
    persons: [
      { relation: 'self', name: '山田 太郎', birth: '1980-01-01', number: numbers[0] },
      ...(numbers[1] ? [{ relation: 'spouse', name: '山田 花子', birth: '1981-02-02', number: numbers[1] }] : []),
      ...(numbers[2] ? [{ relation: 'child', name: '山田 蓮', birth: '2015-03-03', number: numbers[2] }] : []),
    ],
    identity: { kind: 'card', images: [{ role: 'cardFront', type: 'image/jpeg', data: picture.toString('base64') }, { role: 'cardBack', type: 'image/jpeg', data: picture.toString('base64') }] },
  });

  async function submitAs(link: string, numbers: string[]) {
    const agent = request.agent(t.app);
    const page = await agent.get(`/c/${link}`).expect(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    await agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: csrf, version: '0' }).expect(303);
    const cipher = await encryptToOffice(t.deps.db, Buffer.from(JSON.stringify(payload(numbers))));
    const res = await agent.post(`/c/${link}/submit`).set('X-CSRF-Token', csrf).set('X-Kinko-Ref', `ref-${crypto.randomBytes(9).toString('hex')}`).set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(cipher);
    if (res.status !== 201) {
      throw new Error(`submit answered ${res.status}: ${res.text}\nerror log lines:\n${t.logs.errorLines().join('\n')}`);
    }
    return res.body.receipt as string;
  }

  async function holderAgent() {
    const { agent } = await signedInAgent(t.app, t.deps, office.holder);
    return { agent, csrf: await csrfToken(agent, '/office') };
  }

  it('when a key holder opens a submission with the passphrase, the persons are masked beside the images, in a no-store page; a wrong passphrase opens nothing', async () => {
    const link = await linkFor('山田 太郎');
    const id = await submitAs(link, [own!, spouse!]);
    const { agent, csrf } = await holderAgent();
    const company = await agent.get(`/office/companies/${office.company.id}/collect`);
    expect(company.text).toContain(`/office/collect/${id}`);
    const wrong = await agent.post(`/office/collect/${id}/open`).type('form').send({ _csrf: csrf, passphrase: 'not-the-passphrase' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.text).not.toContain('data:image/jpeg');
    const opened = await agent.post(`/office/collect/${id}/open`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(opened.status).toBe(200);
    expect(opened.headers['cache-control']).toBe('no-store');
    expect(opened.text).toContain('山田 花子');
    expect(opened.text).toContain(`********${own!.slice(8)}`);
    expect(opened.text).toContain(`data:image/jpeg;base64,${picture.toString('base64')}`);
    expect(STANDALONE_TWELVE_DIGITS.test(opened.text.replace(/data:image[^"]+/g, ''))).toBe(false);
    expect(numbersIn(opened.text.replace(/data:image[^"]+/g, '') + t.logs.text, [own!, spouse!])).toEqual([]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.viewed').execute()).toHaveLength(1);
  });

  it('when a key holder confirms, the numbers are in the vault under the names entered, the request shows 提出済 to the client, and the submission is destroyed with a disposal record; a second confirm is a 404', async () => {
    const link = await linkFor('山田 太郎');
    const id = await submitAs(link, [own!, spouse!, child!]);
    const { agent, csrf } = await holderAgent();
    const res = await agent.post(`/office/collect/${id}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('confirmed=3');

    const key = await unlockOfficeKey(t.deps, office.holder.id, STAFF_PASSPHRASE);
    const session = await openVaultSession(t.deps, { companyId: office.company.id, officeKey: key, cohort: ingestCohort(t.deps.clock.now()) });
    const held = await Promise.all([own!, spouse!, child!].map((n) => session.findByNumber(t.deps.db, n)));
    expect(held.map((p) => [p?.name, p?.relation])).toEqual([['山田 太郎', '本人'], ['山田 花子', '配偶者'], ['山田 蓮', '扶養親族1']]);
    expect(held[1]!.employee_person_id).toBe(held[0]!.id);
    expect(held[0]!.employee_code).toBe('E100');
    expect(await session.findByNumber(t.deps.db, other!)).toBeNull();

    const sub = await t.deps.db.selectFrom('collect_submissions').selectAll().executeTakeFirstOrThrow();
    expect(sub.state).toBe('disposed');
    const disposal = await t.deps.db.selectFrom('disposals').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow();
    expect(disposal.reason).toBe('collect-confirmed');
    await expect(t.deps.storage.drops.head(sub.stored_key)).rejects.toBeDefined();
    expect((await agent.post(`/office/collect/${id}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE })).status).toBe(404);

    const actions = (await t.deps.db.selectFrom('audit_log').select('action').execute()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['collect.requested', 'collect.opened', 'collect.acknowledged', 'collect.submitted', 'collect.confirmed', 'collect.disposed']));
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    expect((await client.get(`/room/${office.company.accessKey}/collect`)).text).toContain('data-status="submitted"');
    // Nothing in the clear anywhere: no database cell, no data file, no log line.
    const cells = (await everyCell(t.deps)).map((c) => c.text).join('\n');
    expect(numbersIn(cells + t.logs.text, [own!, spouse!, child!])).toEqual([]);
    if (target.name === 'sqlite') for (const f of filesUnder(t.dataDir)) expect({ f, found: numbersInBytes(fs.readFileSync(f), [own!, spouse!, child!]) }).toEqual({ f, found: [] });
  });

  it('when the same person is held already, confirming adds only the new dependents (duplicates as ingest counts them)', async () => {
    const first = await linkFor('山田 太郎');
    const { agent, csrf } = await holderAgent();
    await agent.post(`/office/collect/${await submitAs(first, [own!])}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE }).expect(303);
    const second = await linkFor('山田 太郎', 'taro2@example.jp');
    const res = await agent.post(`/office/collect/${await submitAs(second, [own!, spouse!])}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(res.headers.location).toContain('confirmed=1');
    expect(await t.deps.db.selectFrom('persons').select('id').where('company_id', '=', office.company.id).execute()).toHaveLength(2);
  });

  it('when a held employee submits a different number, that person is held back as ingest does (not stored, counted, staff told to check) and the new dependent is confirmed', async () => {
    const { agent, csrf } = await holderAgent();
    await agent.post(`/office/collect/${await submitAs(await linkFor('山田 太郎'), [own!])}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE }).expect(303);
    const id = await submitAs(await linkFor('山田 太郎', 'taro2@example.jp'), [other!, spouse!]);
    const res = await agent.post(`/office/collect/${id}/confirm`).type('form').send({ _csrf: csrf, passphrase: STAFF_PASSPHRASE });
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('confirmed=1');
    expect(res.headers.location).toContain('heldBack=1');
    const page = await agent.get(res.headers.location!);
    expect(page.text).toContain('番号が異なるため保管していません');
    const held = await t.deps.db.selectFrom('persons').select(['id', 'name', 'employee_person_id']).where('company_id', '=', office.company.id).execute();
    expect(held.map((p) => p.name).sort()).toEqual(['山田 太郎', '山田 花子']);
    // the new spouse belongs to the employee held already
    expect(held.find((p) => p.name === '山田 花子')!.employee_person_id).toBe(held.find((p) => p.name === '山田 太郎')!.id);
    expect(t.logs.text).not.toContain(other!);
    const entry = await t.deps.db.selectFrom('audit_log').select('details').where('action', '=', 'collect.confirmed').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toMatchObject({ added: 1, heldBack: 1, duplicates: 0 });
    expect((await t.deps.db.selectFrom('collect_submissions').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('disposed');
  });

  it('when a submission is sent back with a reason, the employee gets a new link by e-mail with the reason, the old link is dead, the submission is destroyed with its record, and the new link works', async () => {
    const link = await linkFor('山田 太郎');
    const id = await submitAs(link, [own!]);
    const { agent, csrf } = await holderAgent();
    smtp.messages.length = 0;
    const res = await agent.post(`/office/collect/${id}/return`).type('form').send({ _csrf: csrf, reason: 'カードの裏面がぼやけています。' });
    expect(res.status).toBe(303);
    await smtp.waitFor(1);
    const mail = smtp.messages[0]!;
    expect(mail.text).toContain('カードの裏面がぼやけています');
    const fresh = LINK.exec(mail.text)![1]!;
    expect(fresh).not.toBe(link);
    expect((await request(t.app).get(`/c/${link}`)).status).toBe(404);
    expect((await t.deps.db.selectFrom('disposals').select('reason').where('subject_id', '=', id).executeTakeFirstOrThrow()).reason).toBe('collect-returned');
    const row = await t.deps.db.selectFrom('collect_requests').selectAll().executeTakeFirstOrThrow();
    expect([row.status, row.links_issued, row.acknowledged_at]).toEqual(['requested', 2, null]);
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    expect((await client.get(`/room/${office.company.accessKey}/collect`)).text).toContain('data-status="requested"');
    await submitAs(fresh, [own!]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.returned').execute()).toHaveLength(1);
  });

  it('when a client or a random id reaches a submission, it is the plain 404 (or the office login)', async () => {
    const id = await submitAs(await linkFor('山田 太郎'), [own!]);
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    expect((await client.get(`/office/collect/${id}`)).status).toBe(404);
    const { agent } = await holderAgent();
    expect((await agent.get('/office/collect/nosuchsubmission')).status).toBe(404);
    expect((await agent.get(`/office/collect/${id}`)).status).toBe(200);
  });
});
