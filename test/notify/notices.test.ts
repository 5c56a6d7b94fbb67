import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { REDACTED } from '../../server/log/redact.js';
import * as repo from '../../server/notify/repo.js';
import { flushDueNotices, noteArrival, startNoticeTimer } from '../../server/notify/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';
import { databaseUrl } from '../helpers/databases.js';
import { fakeClock, type ManualClock as FakeClock } from '../helpers/clock.js';
import { fakeDrops, makeOffice, makeRoom, type Office } from '../helpers/notify-office.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from './smtp-sink.js';

const WINDOW_S = 300;
const sec = (s: number) => s * 1000;

/** Everything a reader of the message could see: envelope, headers and decoded text. */
const everything = (m: ReceivedMail) => [m.raw, m.subject, m.text, m.rcptTo.join(' ')].join('\n');

describe.each(testDatabases())('office notices by e-mail through a real SMTP server, on $name', (target) => {
  let smtp: SmtpSink;
  let db: OpenedTestDatabase;
  let clock: FakeClock;
  let t: TestApp;
  let office: Office;
  const extra: TestApp[] = [];

  const instance = () =>
    makeTestApp(
      { KINKO_SMTP_URL: smtp.url, KINKO_NOTIFY_BATCH_SECONDS: String(WINDOW_S), KINKO_DATABASE_URL: databaseUrl(db), KINKO_PUBLIC_URL: 'https://kinko.example.jp' },
      { clock },
    );

  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(async () => {
    smtp.messages.length = 0;
    smtp.refuseNext(0);
    db = await target.open();
    clock = fakeClock();
    t = await instance();
    office = await makeOffice(t.deps);
  });
  afterEach(async () => {
    for (const x of extra.splice(0)) await x.close();
    await t.close();
    await db.cleanup();
  });

  it('when three drops arrive in one room within the window, one e-mail goes out after the window, to the director and key-holder staff only, naming only the room and the count', async () => {
    const { company, clientEmail } = await makeRoom(t.deps, 'さくら精機株式会社');
    const drops = fakeDrops(3);

    expect(await noteArrival(t.deps, { companyId: company.id, dropIds: [drops[0]!.id] })).toBe(1);
    clock.advance(sec(60));
    expect(await noteArrival(t.deps, { companyId: company.id, dropIds: [drops[1]!.id] })).toBe(1);
    clock.advance(sec(120));
    expect(await noteArrival(t.deps, { companyId: company.id, dropIds: [drops[2]!.id] })).toBe(1);

    clock.advance(sec(WINDOW_S - 180 - 1)); // 1 s before the window of the first arrival ends
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);

    clock.advance(sec(2));
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 1, failed: 0 });
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(1);

    const mail = smtp.messages[0]!;
    expect([...mail.rcptTo].sort()).toEqual([office.emails.director, office.emails.keyHolder].sort());
    expect(mail.rcptTo).not.toContain(office.emails.plainStaff);
    expect(mail.rcptTo).not.toContain(clientEmail);
    expect(mail.subject).toContain('さくら精機株式会社');
    expect(mail.subject).toContain('3');
    expect(mail.text).toContain('さくら精機株式会社');
    expect(mail.text).toContain('3 件');
    expect(mail.text).toContain('3 new files');
    expect(mail.text).toContain('https://kinko.example.jp/office/drops');
    // Japanese first, English below.
    expect(mail.text.indexOf('届きました')).toBeGreaterThan(-1);
    expect(mail.text.indexOf('届きました')).toBeLessThan(mail.text.indexOf('arrived'));
    const all = everything(mail);
    for (const d of drops) {
      expect(all).not.toContain(d.id);
      expect(all).not.toContain(d.name);
      expect(all).not.toContain(d.name.slice(0, 8));
      expect(all).not.toContain(String(d.size));
    }
    expect(all).not.toContain('.xlsx');
  });

  it('when drops arrive in two rooms, each room gets its own e-mail naming only that room', async () => {
    const a = await makeRoom(t.deps, '株式会社あおば');
    const b = await makeRoom(t.deps, 'ひかり運輸有限会社');
    await noteArrival(t.deps, { companyId: a.company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    await noteArrival(t.deps, { companyId: b.company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S));
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 2, failed: 0 });
    expect(smtp.messages).toHaveLength(2);
    const forA = smtp.messages.find((m) => m.subject.includes('株式会社あおば'))!;
    const forB = smtp.messages.find((m) => m.subject.includes('ひかり運輸有限会社'))!;
    expect(forA.text).toContain('2 件');
    expect(forA.text).not.toContain('ひかり運輸');
    expect(forB.text).toContain('1 件');
    expect(forB.text).toContain('1 new file ');
    expect(forB.text).not.toContain('あおば');
  });

  it('when two app instances flush at the same moment, the notice is sent exactly once', async () => {
    const second = await instance();
    extra.push(second);
    const { company } = await makeRoom(t.deps, '二重送信テスト株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    await noteArrival(second.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S + 1));
    const results = await Promise.all([flushDueNotices(t.deps), flushDueNotices(second.deps), flushDueNotices(t.deps), flushDueNotices(second.deps)]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('3 件');
  });

  it('when drops arrive in the same room at once (on two instances with PostgreSQL), they share one notice', async () => {
    // Embedded SQLite is one process: two better-sqlite3 connections in one
    // thread would block each other synchronously, so there the arrivals race
    // on the one instance (and its one connection) instead.
    const second = target.name === 'postgres' ? await instance() : t;
    if (second !== t) extra.push(second);
    const { company } = await makeRoom(t.deps, '同時着信株式会社');
    const drops = fakeDrops(6);
    const added = await Promise.all(drops.map((d, i) => noteArrival(i % 2 ? t.deps : second.deps, { companyId: company.id, dropIds: [d.id] })));
    expect(added).toEqual([1, 1, 1, 1, 1, 1]);
    clock.advance(sec(WINDOW_S));
    await Promise.all([flushDueNotices(t.deps), flushDueNotices(second.deps)]);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('6 件');
  });

  it('when the app restarts inside the window, the pending notice is still sent once after it', async () => {
    const { company } = await makeRoom(t.deps, '再起動テスト株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    await t.close();
    t = await instance();
    clock.advance(sec(WINDOW_S));
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 1, failed: 0 });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('2 件');
  });

  it('when the same drop is reported twice, it counts once', async () => {
    const { company } = await makeRoom(t.deps, '重複報告株式会社');
    const [d] = fakeDrops(1);
    expect(await noteArrival(t.deps, { companyId: company.id, dropIds: [d!.id, d!.id] })).toBe(1);
    expect(await noteArrival(t.deps, { companyId: company.id, dropIds: [d!.id] })).toBe(0);
    clock.advance(sec(WINDOW_S));
    await flushDueNotices(t.deps);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('1 件');
  });

  it('when a drop arrives after the notice went out, it starts a new window and a new e-mail', async () => {
    const { company } = await makeRoom(t.deps, '追加着信株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    clock.advance(sec(WINDOW_S));
    await flushDueNotices(t.deps);
    clock.advance(sec(5));
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S - 10));
    expect((await flushDueNotices(t.deps)).sent).toBe(0);
    clock.advance(sec(10));
    expect((await flushDueNotices(t.deps)).sent).toBe(1);
    expect(smtp.messages.map((m) => /(\d+) 件/.exec(m.text)?.[1])).toEqual(['2', '1']);
  });

  it('when the SMTP server refuses, the notice is kept and retried later, without a second e-mail', async () => {
    const { company } = await makeRoom(t.deps, '再送テスト株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S));
    smtp.refuseNext(1);
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 0, failed: 1 });
    expect(t.logs.text).toContain('will retry');
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 0, failed: 0 }); // backing off
    clock.advance(sec(61));
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 1, failed: 0 });
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('when a sender claimed a notice and died before sending, another sends it once the claim expires', async () => {
    const { company } = await makeRoom(t.deps, '途中停止株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S));
    const [id] = await repo.dueNoticeIds(t.deps.db, clock.now().toISOString(), '1970-01-01T00:00:00.000Z', 10);
    expect(await repo.claimNotice(t.deps.db, id!, 'crashed-sender', clock.now().toISOString(), '1970-01-01T00:00:00.000Z')).toBe(true);
    expect((await flushDueNotices(t.deps)).sent).toBe(0);
    clock.advance(sec(9 * 60));
    expect((await flushDueNotices(t.deps)).sent).toBe(0);
    clock.advance(sec(61));
    expect((await flushDueNotices(t.deps)).sent).toBe(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('when a company name holds a My Number, the e-mail carries it redacted', async () => {
    const [n] = syntheticMyNumbers(1, 4242);
    const hyphenated = variants(n!)[1]!;
    const { company } = await makeRoom(t.deps, `番号入り ${hyphenated} 株式会社`);
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance(sec(WINDOW_S));
    await flushDueNotices(t.deps);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toContain(REDACTED);
    expect(mail.text).toContain(REDACTED);
    for (const v of variants(n!)) {
      expect(everything(mail)).not.toContain(v);
      expect(t.logs.text).not.toContain(v);
    }
  });

  it('the timer started by main.ts sends due notices and stops cleanly', async () => {
    const { company } = await makeRoom(t.deps, 'タイマー株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    const stop = startNoticeTimer(t.deps, { intervalMs: 20 });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(smtp.messages).toHaveLength(0);
      clock.advance(sec(WINDOW_S));
      await smtp.waitFor(1);
    } finally {
      await stop();
    }
    expect(smtp.messages).toHaveLength(1);
  });
});
