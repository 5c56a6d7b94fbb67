import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { newTotpSecret } from '../../server/auth/totp.js';
import { flushDueNotices, noteArrival } from '../../server/notify/service.js';
import { warnIfNobodyReceivesNotices } from '../../server/notify/recipients.js';
import { announceSetup } from '../../server/setup/service.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { DIRECTOR, readSetupPage, setupForm, totpCode } from '../setup/setup-helpers.js';
import { fakeClock, type ManualClock as FakeClock } from '../helpers/clock.js';
import { fakeDrops, makeRoom } from '../helpers/notify-office.js';

/**
 * Issue 11, defect 4: an office whose only user is the director never got a
 * notice mail — setup never asked for an address, the inbox said 「宛先なし」
 * and nothing reached the outbox. Setup now asks; each office member can set
 * their own address; the console, the start-up output and `kinko doctor` say
 * so while no one would receive notices.
 */
const WARNING = 'お知らせメールの宛先がありません';
const bin = path.resolve('bin/kinko.js');
const outboxFiles = (t: TestApp) => {
  const dir = path.join(t.dataDir, 'outbox');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) : [];
};

describe('notice e-mail recipients', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function setUpThroughThePage(app: TestApp, clock: FakeClock, email: string): Promise<{ text: string; director: MadeUser }> {
    const printed: string[] = [];
    await announceSetup(app.deps, (l) => printed.push(l));
    const token = /\/setup\/([A-Za-z0-9_-]+)/.exec(printed[0]!)![1]!;
    const agent = request.agent(app.app);
    const page = readSetupPage((await agent.get(`/setup/${token}`)).text);
    expect(page.html).toContain('お知らせメールの宛先（所長のメールアドレス）');
    const bad = await agent.post(`/setup/${token}`).type('form').send(await setupForm(page, app.deps.clock.now(), { email: 'a@x.jp, b@y.jp' }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('メールアドレスの形が正しくありません');
    expect(bad.text).toContain('value="a@x.jp, b@y.jp"'); // kept, to correct
    const again = readSetupPage(bad.text);
    clock.advance(30_000); // the next TOTP step: the first code stays unused, but step on
    const done = await agent.post(`/setup/${token}`).type('form').send(await setupForm(again, app.deps.clock.now(), { email }));
    expect(done.status).toBe(200);
    const row = await app.deps.db.selectFrom('users').select(['id', 'email']).where('role', '=', 'director').executeTakeFirstOrThrow();
    return { text: done.text, director: { id: row.id, loginId: DIRECTOR.loginId, password: DIRECTOR.password, totpSecret: '', role: 'director' } };
  }

  it('when the director gives an address at setup, arrivals are mailed to it', async () => {
    const clock = fakeClock('2025-05-01T00:00:00.000Z');
    t = await makeTestApp({ KINKO_NOTIFY_BATCH_SECONDS: '60' }, { clock });
    const { text } = await setUpThroughThePage(t, clock, 'shocho@office.example.jp');
    expect(text).toContain('お知らせメールの宛先: shocho@office.example.jp');
    expect(text).not.toContain('お知らせメールの宛先が登録されていません');
    expect((await t.deps.db.selectFrom('users').select('email').executeTakeFirstOrThrow()).email).toBe('shocho@office.example.jp');

    const { company } = await makeRoom(t.deps, 'みどり食品株式会社');
    await noteArrival(t.deps, { companyId: company.id, dropIds: fakeDrops(2).map((d) => d.id) });
    clock.advance(61_000);
    expect(await flushDueNotices(t.deps)).toEqual({ sent: 1, failed: 0 });
    const mails = outboxFiles(t);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain('To: shocho@office.example.jp');
  });

  it('when nobody has an address, the done page, the console, the inbox and the start-up say so; setting one on the settings page ends the warning', async () => {
    const clock = fakeClock('2025-05-02T00:00:00.000Z');
    t = await makeTestApp({}, { clock });
    const { text, director } = await setUpThroughThePage(t, clock, '');
    expect(text).toContain('お知らせメールの宛先が登録されていません');

    const printed: string[] = [];
    expect(await warnIfNobodyReceivesNotices(t.deps, (l) => printed.push(l))).toBe(true);
    expect(printed.join('\n')).toContain('警告 お知らせメールの宛先がありません');
    expect(printed.join('\n')).toContain('/office/settings/notices');

    const { agent } = await signedInAgent(t.app, t.deps, director);
    const csrf = await csrfToken(agent, '/office');
    expect((await agent.get('/office')).text).toContain(WARNING);
    expect((await agent.get('/office/drops')).text).toContain(WARNING);

    const settings = await agent.get('/office/settings/notices');
    expect(settings.status).toBe(200);
    expect(settings.text).toContain('あなたは受け取る人に含まれています。');
    expect(settings.text).toContain('まだ登録されていません。');
    // CSRF: a post without the token changes nothing.
    expect((await agent.post('/office/settings/notices').type('form').send({ email: 'x@y.jp' })).status).toBe(403);
    const bad = await agent.post('/office/settings/notices').type('form').send({ _csrf: csrf, email: 'shocho@office.example.jp\r\nBcc: evil@example.com' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('メールアドレスの形が正しくありません');
    const ok = await agent.post('/office/settings/notices').type('form').send({ _csrf: csrf, email: ' shocho@office.example.jp ' }).redirects(1);
    expect(ok.text).toContain('メールアドレスを保存しました。');
    expect(ok.text).toContain('いま登録されているアドレス: shocho@office.example.jp');
    expect((await agent.get('/office')).text).not.toContain(WARNING);
    expect(await warnIfNobodyReceivesNotices(t.deps, () => {})).toBe(false);
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.email.set').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).not.toContain('shocho@');

    // Staff who are not key holders may set theirs too, and are told it brings them no notices.
    const plain = await makeUser(t.deps, { role: 'staff' });
    const s = await signedInAgent(t.app, t.deps, plain);
    expect((await s.agent.get('/office/settings/notices')).text).toContain('鍵の担当者ではないため');
  });

  it('`kinko setup` takes --email (or warns without one), and `kinko doctor` says when no one would receive notices', () => {
    const env = (dir: string) => ({ PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KINKO_DATA_DIR: dir, KINKO_SETUP_PASSWORD: DIRECTOR.password, KINKO_SETUP_KEY_PASSPHRASE: DIRECTOR.keyPassphrase });
    const run = (args: string[], dir: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: env(dir), timeout: 60_000 });
    const setup = async (dir: string, extra: string[]) => {
      const secret = newTotpSecret();
      const code = await totpCode(secret, new Date());
      return run(['setup', '--office', DIRECTOR.officeName, '--name', DIRECTOR.directorName, '--login', 'yamada', '--totp-secret', secret, '--totp-code', code, ...extra], dir);
    };
    return (async () => {
      const without = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-recipients-'));
      const withMail = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-recipients-'));
      try {
        expect(run(['init'], without).status).toBe(0);
        const before = run(['doctor'], without);
        expect(before.stdout).toMatch(/✓ お知らせメールの宛先 notice recipients: setup not done yet/);

        const a = await setup(without, []);
        expect(a.status).toBe(0);
        expect(a.stdout).toContain('⚠ お知らせメールの宛先が登録されていません');
        const d = run(['doctor'], without);
        expect(d.status).toBe(1);
        expect(d.stdout).toMatch(/✗ お知らせメールの宛先 notice recipients: だれもお知らせメールを受け取りません/);
        expect(d.stdout).toContain('/office/settings/notices');

        const b = await setup(withMail, ['--email', 'shocho@office.example.jp']);
        expect(b.status).toBe(0);
        expect(b.stdout).toContain('お知らせメールの宛先: shocho@office.example.jp');
        expect(b.stdout).not.toContain('⚠');
        const d2 = run(['doctor'], withMail);
        expect(d2.stdout).toMatch(/✓ お知らせメールの宛先 notice recipients: 1 address/);
        expect(d2.status).toBe(0);
      } finally {
        fs.rmSync(without, { recursive: true, force: true });
        fs.rmSync(withMail, { recursive: true, force: true });
      }
    })();
  }, 120_000);
});
