import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { disposeDueImages, storeKeptImages } from '../../server/collect/kept-images.js';
import { ORPHAN_AGE_MS, sweepOrphanDrops } from '../../server/drops/reconcile.js';
import { limits } from '../../server/config.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { databaseUrl, testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { fakeClock, type ManualClock } from '../helpers/clock.js';
import { arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { everyCell, filesUnder, numbersIn, numbersInBytes } from '../helpers/vault-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';

/**
 * Issue 18 §3: "Identity images are kept only as long as the office's policy
 * says (default: not at all after confirmation), and their disposal is
 * recorded too." The director sets the days (step-up, audited); kept images
 * stay ciphertext to the office key, open only with a key passphrase in a
 * no-store page, and go through the disposal routine with a record when the
 * period ends (fake clock), when a shorter policy ends it, or sooner by the
 * director. Returned submissions keep nothing.
 */
const LINK = /\/c\/([A-Za-z0-9_-]{32})/;
const DAY = 24 * 60 * 60_000;

describe.each(testDatabases())('identity images kept by the office policy (issue 18 §3), on $name', (target) => {
  let smtp: SmtpSink;
  let db: OpenedTestDatabase;
  let clock: ManualClock;
  let t: TestApp;
  let office: Office;
  const [own, spouse] = syntheticMyNumbers(2, 1877);
  // Random bytes after a JPEG header: a stretch of them in any file would be the image in the clear.
  const picture = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(600)]);
  const marks = [picture.subarray(100, 132), Buffer.from(picture.toString('base64').slice(100, 160))];

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

  async function submission(email = 'taro@example.jp') {
    const { agent: client } = await signedInAgent(t.app, t.deps, office.client);
    const base = `/room/${office.company.accessKey}/collect`;
    const c = await csrfToken(client, base);
    smtp.messages.length = 0;
    await client.post(base).set('X-CSRF-Token', c).type('form').send(`name=${encodeURIComponent('山田 太郎')}&code=E100&email=${encodeURIComponent(email)}`).expect(303);
    await smtp.waitFor(1);
    const link = LINK.exec(smtp.messages[0]!.text)![1]!;
    const phone = request.agent(t.app);
    const page = await phone.get(`/c/${link}`).expect(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    await phone.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: csrf, version: '0' }).expect(303);
    const payload = {
      v: 1,
      persons: [{ relation: 'self', name: '山田 太郎', birth: '1980-01-01', number: own }, { relation: 'spouse', name: '山田 花子', birth: '1981-02-02', number: spouse }],
      identity: { kind: 'card', images: [{ role: 'cardFront', type: 'image/jpeg', data: picture.toString('base64') }, { role: 'cardBack', type: 'image/jpeg', data: picture.toString('base64') }] },
    };
    const cipher = await encryptToOffice(t.deps.db, Buffer.from(JSON.stringify(payload)));
    const res = await phone.post(`/c/${link}/submit`).set('X-CSRF-Token', csrf).set('X-Kinko-Ref', `ref-${crypto.randomBytes(9).toString('hex')}`).set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(cipher);
    if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${res.text}`);
    return res.body.receipt as string;
  }

  async function holder() {
    const { agent } = await signedInAgent(t.app, t.deps, office.holder);
    return { agent, csrf: await csrfToken(agent, '/office') };
  }

  async function director() {
    const { agent } = await signedInAgent(t.app, t.deps, office.director, { stepUp: true });
    return { agent, csrf: await csrfToken(agent, '/office/settings/identity-images') };
  }

  async function setPolicy(days: string) {
    const d = await director();
    return d.agent.post('/office/settings/identity-images').type('form').send({ _csrf: d.csrf, days });
  }

  async function confirm(id: string) {
    const h = await holder();
    await h.agent.post(`/office/collect/${id}/confirm`).type('form').send({ _csrf: h.csrf, passphrase: STAFF_PASSPHRASE }).expect(303);
  }

  const kept = () => t.deps.db.selectFrom('collect_kept_images').selectAll().execute();
  async function storedKeys() {
    const keys: string[] = [];
    for await (const o of t.deps.storage.drops.list()) keys.push(o.key);
    return keys;
  }
  /** No database cell, data file or log line holds a number or a stretch of the image (raw or base64). */
  async function nothingInTheClear() {
    const cells = (await everyCell(t.deps)).map((c) => c.text).join('\n');
    expect(numbersIn(cells + t.logs.text, [own!, spouse!])).toEqual([]);
    for (const m of marks) expect(cells.includes(m.toString('latin1')) || t.logs.text.includes(m.toString('latin1'))).toBe(false);
    if (target.name !== 'sqlite') return;
    for (const f of filesUnder(t.dataDir)) {
      const bytes = fs.readFileSync(f);
      expect({ f, numbers: numbersInBytes(bytes, [own!, spouse!]), image: marks.some((m) => bytes.includes(m)) }).toEqual({ f, numbers: [], image: false });
    }
  }

  it('by default nothing of the images is kept after confirmation: no kept row, the drops location empty, and both pages say so', async () => {
    const id = await submission();
    const h = await holder();
    const opened = await h.agent.post(`/office/collect/${id}/open`).type('form').send({ _csrf: h.csrf, passphrase: STAFF_PASSPHRASE }).expect(200);
    expect(opened.text).toContain('data-images-policy="0"');
    expect(opened.text).toContain('提出内容ごと削除');
    await confirm(id);
    expect(await kept()).toEqual([]);
    expect(await storedKeys()).toEqual([]);
    expect((await t.deps.db.selectFrom('disposals').select('reason').execute()).map((d) => d.reason)).toEqual(['collect-confirmed']);
    const entry = await t.deps.db.selectFrom('audit_log').select('details').where('action', '=', 'collect.confirmed').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toMatchObject({ identityKind: 'card', images: 'cardFront,cardBack', imagesKeptDays: 0 });
    expect((await h.agent.get(`/office/companies/${office.company.id}/collect`)).text).toContain('確定と同時に削除されます');
    await nothingInTheClear();
  });

  it('only the director with a fresh step-up sets the policy; out-of-range days get a plain Japanese message; each change is audited', async () => {
    const h = await holder();
    expect((await h.agent.post('/office/settings/identity-images').type('form').send({ _csrf: h.csrf, days: '30' })).status).toBeGreaterThanOrEqual(400);
    expect((await h.agent.get('/office/settings/identity-images')).status).toBeGreaterThanOrEqual(400);
    const stale = (await signedInAgent(t.app, t.deps, office.director)).agent;
    const page = await stale.get('/office/settings/identity-images').set('Accept', 'text/html');
    expect([page.status, page.headers.location]).toEqual([303, `/office/step-up?next=${encodeURIComponent('/office/settings/identity-images')}`]);
    const noStepUp = await stale.post('/office/settings/identity-images').type('form').send({ _csrf: await csrfToken(stale, '/office'), days: '30' });
    expect(noStepUp.status).toBe(403);
    expect(noStepUp.text).toContain('確認コード');
    expect(await t.deps.db.selectFrom('collect_image_policy').selectAll().execute()).toEqual([]);

    const tooLong = await setPolicy(String(limits.collect.imageKeepMaxDays + 1));
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain(`${limits.collect.imageKeepMaxDays} 日まで`);
    const notANumber = await setPolicy('一か月');
    expect(notANumber.status).toBe(400);
    expect(notANumber.text).toContain('0 以上の整数');
    expect((await setPolicy('３０')).status).toBe(303); // full-width, as typed on a Japanese keyboard
    const saved = await (await director()).agent.get('/office/settings/identity-images');
    expect(saved.text).toContain('data-keep-days="30"');
    expect(saved.headers['cache-control']).toBe('no-store');
    const entries = await t.deps.db.selectFrom('audit_log').select(['details', 'actor_id']).where('action', '=', 'collect.imagePolicySaved').execute();
    expect(entries.map((e) => [e.actor_id, JSON.parse(e.details)])).toEqual([[office.director.id, { keepDays: 30, previousDays: 0, shortened: 0 }]]);
  });

  it('with N days, only the images are kept — ciphertext, opened by a key holder in a no-store page — and at N days they are destroyed with a disposal record (fake clock)', async () => {
    expect((await setPolicy('30')).status).toBe(303);
    const id = await submission();
    await confirm(id);
    const confirmedAt = clock.now().getTime();
    const [row] = await kept();
    expect([row!.state, row!.keep_until, row!.roles]).toEqual(['kept', new Date(confirmedAt + 30 * DAY).toISOString(), 'cardFront,cardBack']);
    // The submission (the numbers as typed) is gone as before; only the images' object is left, under its own key.
    expect((await t.deps.db.selectFrom('collect_submissions').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('disposed');
    expect(await storedKeys()).toEqual([row!.stored_key]);
    const stored = Buffer.concat(await (async () => { const c: Buffer[] = []; for await (const x of await t.deps.storage.drops.get(row!.stored_key)) c.push(x as Buffer); return c; })());
    expect(marks.some((m) => stored.includes(m))).toBe(false);
    expect(numbersInBytes(stored, [own!, spouse!])).toEqual([]);
    // The orphan sweep knows the kept images (and a received submission) for what they are.
    expect((await sweepOrphanDrops(t.deps.db, t.deps.storage.drops, { now: new Date(Date.now() + ORPHAN_AGE_MS + 60_000) })).removed).toBe(0);

    const h = await holder();
    const list = await h.agent.get(`/office/companies/${office.company.id}/collect`);
    expect(list.text).toContain(`/office/collect/images/${row!.id}`);
    expect(list.text).toContain('30 日間保管');
    const wrong = await h.agent.post(`/office/collect/images/${row!.id}/open`).type('form').send({ _csrf: h.csrf, passphrase: 'not-the-passphrase' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.text).not.toContain('data:image/jpeg');
    const opened = await h.agent.post(`/office/collect/images/${row!.id}/open`).type('form').send({ _csrf: h.csrf, passphrase: STAFF_PASSPHRASE });
    expect([opened.status, opened.headers['cache-control']]).toEqual([200, 'no-store']);
    expect(opened.text).toContain(`data:image/jpeg;base64,${picture.toString('base64')}`);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.imagesViewed').execute()).toHaveLength(1);
    const client = (await signedInAgent(t.app, t.deps, office.client)).agent;
    expect((await client.get(`/office/collect/images/${row!.id}`)).status).toBe(404);
    await nothingInTheClear(); // while kept: on disk only as ciphertext

    clock.advance(30 * DAY - 60 * 60_000);
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 0, failed: 0 });
    expect((await kept())[0]!.state).toBe('kept');
    clock.advance(60 * 60_000);
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 1, failed: 0 });
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 0, failed: 0 });

    expect((await kept())[0]!.state).toBe('disposed');
    expect(await storedKeys()).toEqual([]);
    expect(await t.deps.storage.drops.remnants(row!.stored_key)).toEqual([]);
    const record = await t.deps.db.selectFrom('disposals').selectAll().where('subject_id', '=', row!.id).executeTakeFirstOrThrow();
    expect([record.reason, record.verified_at, record.by_user]).toEqual(['collect-images-expired', clock.now().toISOString(), null]);
    const objects = await t.deps.db.selectFrom('disposal_objects').select(['object_key', 'sha256']).where('disposal_id', '=', record.id).execute();
    expect(objects).toEqual([{ object_key: row!.stored_key, sha256: row!.sha256 }]);
    expect(await t.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'collect.imagesDisposed').execute()).toHaveLength(1);
    const later = (await holder()).agent; // the first session has long timed out
    expect((await later.get(`/office/collect/images/${row!.id}`)).status).toBe(404);
    expect((await later.get('/office/disposals')).text).toContain('本人確認書類の画像');
    await nothingInTheClear();
  });

  it('a kept set names the employee whose card it shows: the person the confirmation created, or the one held already when the number was a duplicate', async () => {
    await setPolicy('30');
    const first = await submission();
    await confirm(first);
    const employee = await t.deps.db.selectFrom('persons').select(['id', 'relation']).where('source_drop_id', '=', first).where('relation', '=', '本人').executeTakeFirstOrThrow();
    expect((await kept()).map((k) => k.person_id)).toEqual([employee.id]);
    // The same employee sends again (a new request, the same numbers): nothing new is held, the images are theirs.
    const again = await submission('taro2@example.jp');
    await confirm(again);
    expect(await t.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', again).execute()).toEqual([]);
    expect((await kept()).map((k) => k.person_id)).toEqual([employee.id, employee.id]);
  });

  it('a shorter policy ends what is kept already (0 destroys it at once, recorded); a longer one does not extend it', async () => {
    await setPolicy('10');
    await confirm(await submission());
    const before = (await kept())[0]!;
    await setPolicy('60');
    expect((await kept())[0]!.keep_until).toBe(before.keep_until);
    clock.advance(DAY);
    const res = await setPolicy('0');
    expect([res.status, res.headers.location]).toEqual([303, '/office/settings/identity-images?shortened=1']);
    expect((await kept())[0]!.state).toBe('disposed');
    expect(await storedKeys()).toEqual([]);
    expect((await t.deps.db.selectFrom('disposals').select('reason').where('subject_id', '=', before.id).executeTakeFirstOrThrow()).reason).toBe('collect-images-expired');
    expect((await (await director()).agent.get(res.headers.location!)).text).toContain('1 件の期限を短くしました');
  });

  it('a submission sent back keeps no image whatever the policy (no check was completed with them; the employee sends new ones)', async () => {
    await setPolicy('30');
    const id = await submission();
    const h = await holder();
    await h.agent.post(`/office/collect/${id}/return`).type('form').send({ _csrf: h.csrf, reason: '裏面がぼやけています。' }).expect(303);
    expect(await kept()).toEqual([]);
    expect(await storedKeys()).toEqual([]);
    expect((await t.deps.db.selectFrom('disposals').select('reason').execute()).map((d) => d.reason)).toEqual(['collect-returned']);
  });

  it('the director may destroy kept images before their time (fresh step-up), recorded; staff may not', async () => {
    await setPolicy('30');
    await confirm(await submission());
    const row = (await kept())[0]!;
    const h = await holder();
    expect((await h.agent.post(`/office/collect/images/${row.id}/destroy`).type('form').send({ _csrf: h.csrf })).status).toBeGreaterThanOrEqual(400);
    expect((await kept())[0]!.state).toBe('kept');
    const d = await director();
    const page = await d.agent.get(`/office/collect/images/${row.id}`);
    expect(page.text).toContain('今すぐ削除する');
    const res = await d.agent.post(`/office/collect/images/${row.id}/destroy`).type('form').send({ _csrf: d.csrf });
    expect([res.status, res.headers.location]).toEqual([303, `/office/companies/${office.company.id}/collect?imagesDestroyed=1`]);
    const record = await t.deps.db.selectFrom('disposals').selectAll().where('subject_id', '=', row.id).executeTakeFirstOrThrow();
    expect([record.reason, record.by_user]).toEqual(['collect-images-early', office.director.id]);
    expect(await storedKeys()).toEqual([]);
  });

  it('images a killed confirmation left half-stored are destroyed with a record an hour later, and the confirmation can be made again meanwhile', async () => {
    await setPolicy('30');
    const id = await submission();
    const sub = await t.deps.db.selectFrom('collect_submissions').select(['id', 'request_id', 'company_id']).where('id', '=', id).executeTakeFirstOrThrow();
    // What a kill at collect-images.after-put leaves: the row `storing` and its ciphertext (crash.test drives the real kill).
    const left = await storeKeptImages(t.deps, sub, { kind: 'card', images: [{ role: 'cardFront', type: 'image/jpeg', data: picture.toString('base64') }] }, null);
    // `kinko drops:sweep` an hour on leaves both alone: the received submission and the half-stored set are known (it used to delete submissions).
    expect((await sweepOrphanDrops(t.deps.db, t.deps.storage.drops, { now: new Date(Date.now() + ORPHAN_AGE_MS + 60_000) })).removed).toBe(0);
    expect((await storedKeys()).sort()).toEqual([left.stored_key, (await t.deps.db.selectFrom('collect_submissions').select('stored_key').where('id', '=', id).executeTakeFirstOrThrow()).stored_key].sort());
    await confirm(id);
    expect((await kept()).map((k) => k.state).sort()).toEqual(['kept', 'storing']);
    clock.advance(limits.collect.imageStoringStaleMs - 60_000);
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 0, failed: 0 });
    clock.advance(2 * 60_000);
    expect(await disposeDueImages(t.deps)).toEqual({ disposed: 1, failed: 0 });
    expect((await t.deps.db.selectFrom('disposals').select('reason').where('subject_id', '=', left.id).executeTakeFirstOrThrow()).reason).toBe('collect-images-abandoned');
    expect((await kept()).map((k) => k.state).sort()).toEqual(['disposed', 'kept']);
    expect(await storedKeys()).toEqual([(await kept()).find((k) => k.state === 'kept')!.stored_key]);
  });
});
