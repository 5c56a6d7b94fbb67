import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { REDACTED } from '../../server/log/redact.js';
import { flushDueNotices, noteArrival } from '../../server/notify/service.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';
import { fakeClock, type ManualClock as FakeClock } from '../helpers/clock.js';
import { fakeDrops, makeOffice, makeRoom, type Office } from '../helpers/notify-office.js';
import { parseMessage } from './mime.js';

const WINDOW_S = 300;

describe('office notices without SMTP: the outbox folder', () => {
  let t: TestApp;
  let clock: FakeClock;
  let office: Office;
  let outbox: string;
  const emlFiles = () => (fs.existsSync(outbox) ? fs.readdirSync(outbox) : []);

  beforeEach(async () => {
    clock = fakeClock();
    t = await makeTestApp({ KINKO_NOTIFY_BATCH_SECONDS: String(WINDOW_S) }, { clock });
    office = await makeOffice(t.deps);
    outbox = path.join(t.dataDir, 'outbox');
  });
  afterEach(async () => {
    await t.close();
  });

  it('when no SMTP server is configured, a due notice is written as one owner-only .eml file and logged without its body', async () => {
    expect(t.deps.mailer.kind).toBe('outbox');
    expect(t.deps.config.mail.kind === 'outbox' && t.deps.config.mail.dir).toBe(outbox);
    const { company } = await makeRoom(t.deps, 'みどり建設株式会社');
    const drops = fakeDrops(2);
    await noteArrival(t.deps, { companyId: company.id, dropIds: drops.map((d) => d.id) });
    clock.advance(WINDOW_S * 1000);
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 1, failed: 0 });

    const files = emlFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9TZ]+-[A-Za-z0-9_-]+\.eml$/);
    const file = path.join(outbox, files[0]!);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const raw = fs.readFileSync(file, 'utf8');
    const mail = parseMessage(raw);
    expect(mail.headers.to).toContain(office.emails.director);
    expect(mail.headers.to).toContain(office.emails.keyHolder);
    expect(mail.headers.to).not.toContain(office.emails.plainStaff);
    expect(mail.subject).toContain('みどり建設株式会社');
    expect(mail.text).toContain('2 件');
    for (const d of drops) {
      expect(raw + mail.text).not.toContain(d.id);
      expect(raw + mail.text).not.toContain(d.name);
    }

    const line = t.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'mail written to the outbox');
    expect(line).toMatchObject({ recipients: 2, file: files[0] });
    expect(String(line!.subject)).toContain('みどり建設株式会社');
    // Never the body: not its sentences, not the link it carries.
    expect(t.logs.text).not.toContain('「届いたファイル」を開いて');
    expect(t.logs.text).not.toContain('/office/drops');
    expect(t.logs.text).not.toContain('never contains file names');
    for (const d of drops) expect(t.logs.text).not.toContain(d.id);
  });

  it('when nothing is due, nothing is written', async () => {
    const { company } = await makeRoom(t.deps, '待機中株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(1).map((d) => d.id) });
    clock.advance((WINDOW_S - 1) * 1000);
    await flushDueNotices(t.deps);
    expect(emlFiles()).toEqual([]);
  });

  it('when a message holds a synthetic My Number in any written form, the mailer redacts it from subject and body', async () => {
    const numbers = syntheticMyNumbers(3, 99);
    const forms = numbers.flatMap((n) => variants(n));
    await t.deps.mailer.send({
      to: [office.emails.director],
      subject: `件名 ${variants(numbers[0]!)[1]}`,
      text: forms.map((f, i) => `行${i}: ${f}`).join('\n'),
    });
    const [file] = emlFiles();
    const raw = fs.readFileSync(path.join(outbox, file!), 'utf8');
    const mail = parseMessage(raw);
    expect(mail.subject).toBe(`件名 ${REDACTED}`);
    expect(mail.text.split(REDACTED)).toHaveLength(forms.length + 1);
    for (const f of forms) {
      expect(mail.text).not.toContain(f);
      expect(mail.subject).not.toContain(f);
      expect(raw).not.toContain(f);
      expect(t.logs.text).not.toContain(f);
    }
  });

  it('a line break in the subject cannot add a header', async () => {
    await t.deps.mailer.send({ to: [office.emails.director], subject: 'a\r\nBcc: evil@example.com', text: 'x' });
    const raw = fs.readFileSync(path.join(outbox, emlFiles()[0]!), 'utf8');
    expect(parseMessage(raw).headers.bcc).toBeUndefined();
    expect(raw).not.toMatch(/^Bcc:/im);
  });
});
