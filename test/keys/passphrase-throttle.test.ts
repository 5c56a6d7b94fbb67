import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { limits } from '../../server/config.js';
import { unlockOfficeKey } from '../../server/keys/office-key.js';
import { jstStamp } from '../../server/lib/jst.js';
import { csrfToken, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { FakeClock } from '../helpers/clock.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, rosterCsv, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { putInVault } from '../helpers/vault-office.js';

const K = limits.keyPassphrase;
type Agent = ReturnType<typeof request.agent>;

/**
 * Key passphrase tries are throttled per holder on every form that takes one
 * (issue 12 item 3): claimed before the S2K runs, each failure audited without
 * the passphrase, a lock shown on the director's console always and e-mailed
 * when a director has an address — and the console never claims a mail that
 * did not go out.
 */
async function officeWith(env: Record<string, string> = {}) {
  const clock = new FakeClock();
  const t = await makeTestApp(env, { clock });
  const office = await arrangeOffice(t.deps);
  const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, rosterCsv([])));
  return { t, clock, office, dropId: drop.id };
}

async function agentOf(t: TestApp, user: Pick<MadeUser, 'id'>, opts: { stepUp?: boolean } = {}): Promise<{ agent: Agent; csrf: string }> {
  const { agent } = await signedInAgent(t.app, t.deps, user as MadeUser, opts);
  return { agent, csrf: await csrfToken(agent, '/office') };
}

const actions = async (t: TestApp, action: string) => t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();
// A lock is announced as a director alert (the one mechanism, notify/director-alerts.ts).
const alerts = (t: TestApp) =>
  t.deps.db.selectFrom('director_alerts').selectAll().where('kind', 'in', ['key-lock-temporary', 'key-lock-hard']).orderBy('created_at').execute();
/** The console's notice of one alert (its <li>), or '' when the console does not show it. */
const consoleNotice = (html: string, id: string) =>
  [...html.matchAll(/<li class="director-alert"[^>]*>[\s\S]*?<\/li>/g)].map((m) => m[0]).find((li) => li.includes(`/office/alerts/${id}/ack`)) ?? '';

async function mailSettled(t: TestApp): Promise<void> {
  const end = Date.now() + 15_000;
  while ((await alerts(t)).some((a) => a.mail_state === 'pending')) {
    if (Date.now() > end) throw new Error('alert mail still pending');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('key passphrase throttle', () => {
  let t: TestApp;
  let clock: FakeClock;
  let office: Office;
  let dropId: string;
  const outbox = () => path.join(t.dataDir, 'outbox');
  const mails = () => (fs.existsSync(outbox()) ? fs.readdirSync(outbox()).filter((f) => f.endsWith('.eml')).map((f) => fs.readFileSync(path.join(outbox(), f), 'utf8')) : []);

  beforeAll(async () => {
    ({ t, clock, office, dropId } = await officeWith());
    await t.deps.db.updateTable('users').set({ email: 'shocho@example.jp' }).where('id', '=', office.director.id).execute();
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`200 parallel wrong passphrases at the ingest form: exactly ${K.holderFailures} are tried, then the holder is locked; every try is audited without the passphrase; the director is told on the console and by mail`, async () => {
    const holder = await agentOf(t, office.holder);
    const guesses = Array.from({ length: 200 }, (_, i) => `guess-${i}-kagi-passphrase`);
    const answers = await Promise.all(
      guesses.map((g) => holder.agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: holder.csrf, passphrase: g })),
    );
    expect(answers.filter((a) => a.status === 400)).toHaveLength(K.holderFailures - 1);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(200 - (K.holderFailures - 1));
    expect(answers.find((a) => a.status === 429)!.text).toContain('鍵のパスフレーズの入力誤りが続いたため');

    expect(await actions(t, 'key.passphrase.failure')).toHaveLength(K.holderFailures);
    expect(await actions(t, 'key.passphrase.refused')).toHaveLength(200 - K.holderFailures);
    const lockouts = await actions(t, 'key.passphrase.lockout');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ actor_id: office.holder.id });
    expect(JSON.parse(lockouts[0]!.details)).toMatchObject({ form: 'ingest', kind: 'temporary' });
    const trail = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
    for (const g of [...guesses, STAFF_PASSPHRASE]) expect(trail).not.toContain(g);
    for (const g of guesses) expect(t.logs.text).not.toContain(g);

    // The right passphrase is refused while the lock lasts: the guesser cannot tell it apart.
    const right = await holder.agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: holder.csrf, passphrase: STAFF_PASSPHRASE });
    expect(right.status).toBe(429);

    await mailSettled(t);
    const [alert] = await alerts(t);
    expect(alert).toMatchObject({ about_user_id: office.holder.id, kind: 'key-lock-temporary', mail_state: 'sent', mail_recipients: 1, acknowledged_at: null });
    const mail = mails().find((m) => m.includes('shocho@example.jp'));
    expect(mail).toBeDefined();
    for (const g of [...guesses, STAFF_PASSPHRASE]) expect(mail).not.toContain(g);
    const sent = (await actions(t, 'key.passphrase.alert')).at(-1)!;
    expect(sent.result).toBe('ok');

    const director = await agentOf(t, office.director);
    const consolePage = await director.agent.get('/office');
    const notice = consoleNotice(consolePage.text, alert!.id);
    const lockRow = await t.deps.db.selectFrom('key_unlock_throttle').select('locked_until').where('user_id', '=', office.holder.id).executeTakeFirstOrThrow();
    expect(notice).toContain('佐藤 一郎');
    expect(notice).toContain('鍵のパスフレーズの入力誤りで');
    expect(notice).toContain(`${jstStamp(lockRow.locked_until!)} まで`);
    expect(notice).toContain('メールでも知らせました。');
    expect(notice).toContain('href="/office/key-locks"');
    expect(consolePage.text).not.toContain('key-lock-banner'); // one notice, not a second banner
    expect(consoleNotice((await director.agent.get('/office?lang=en')).text, alert!.id)).toContain('their passphrase entry is locked until');
    await director.agent.get('/office?lang=ja');
    const page = await director.agent.get('/office/key-locks');
    expect(page.status).toBe(200);
    expect(page.text).toContain('佐藤 一郎');
    expect(page.text).toContain('所長 1 人に送りました');
    const plain = await agentOf(t, office.plain);
    expect((await plain.agent.get('/office')).text).not.toContain('鍵のパスフレーズの入力誤りで');
    expect((await plain.agent.get('/office/key-locks')).status).toBe(403); // directors only
    // Once the director marks it as seen (from the locks page, through the one alert route), the console notice goes; it stays on the page.
    const seen = await director.agent.post(`/office/alerts/${alert!.id}/ack`).type('form').send({ _csrf: director.csrf, back: 'key-locks' });
    expect(seen.status).toBe(303);
    expect(seen.headers.location).toBe('/office/key-locks?done=seen');
    expect((await actions(t, 'director.alert.ack')).map((e) => JSON.parse(e.target_ids)[0])).toEqual([alert!.id]);
    expect((await director.agent.get('/office')).text).not.toContain('鍵のパスフレーズの入力誤りで');
    expect((await director.agent.get('/office/key-locks')).text).toContain('確認済み');

    // The lock ends by itself; the right passphrase works again and restarts the count.
    clock.advance(K.lockMs);
    expect((await unlockOfficeKey(t.deps, office.holder.id, STAFF_PASSPHRASE)).isDecrypted()).toBe(true);
    expect(await t.deps.db.selectFrom('key_unlock_throttle').select('failed_since_success').where('user_id', '=', office.holder.id).executeTakeFirst()).toEqual({
      failed_since_success: 0,
    });
  });

  it(`${K.hardLockFailures} wrong passphrases since the last right one, on any passphrase form, lock until a director lifts it — a sole director may lift their own, with step-up`, async () => {
    const director = await agentOf(t, office.director, { stepUp: true });
    const designate = (passphrase: string) =>
      director.agent.post(`/office/staff/${office.plain.id}/key-holder`).type('form').send({ _csrf: director.csrf, passphrase });
    const change = (currentPassphrase: string) =>
      director.agent.post('/office/key/passphrase').type('form').send({ _csrf: director.csrf, currentPassphrase, newPassphrase: 'atarashii-kagi-passphrase', newPassphraseConfirm: 'atarashii-kagi-passphrase' });

    for (let i = 0; i < K.holderFailures; i++) expect((await designate(`wrong-designate-${i}`)).status).toBe(i < K.holderFailures - 1 ? 400 : 429);
    const refused = await designate(DIRECTOR.keyPassphrase); // locked for this form too, said next to it
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('鍵のパスフレーズの入力誤りが続いたため');
    expect(refused.text).toContain('name="passphrase"');
    clock.advance(K.lockMs);
    let status = 0;
    for (let i = 0; i < K.hardLockFailures - K.holderFailures; i++) status = (await change(`wrong-change-${i}`)).status;
    expect(status).toBe(429);
    const forms = (await actions(t, 'key.passphrase.failure')).filter((e) => e.actor_id === office.director.id).map((e) => JSON.parse(e.details).form);
    expect(forms).toEqual([...Array(K.holderFailures).fill('holderAdd'), ...Array(K.hardLockFailures - K.holderFailures).fill('passphraseChange')]);

    clock.advance(24 * 60 * 60_000);
    await expect(unlockOfficeKey(t.deps, office.director.id, DIRECTOR.keyPassphrase)).rejects.toMatchObject({ status: 429, kind: 'hard' });
    await mailSettled(t);
    const mine = (await alerts(t)).filter((a) => a.about_user_id === office.director.id);
    expect(mine.map((a) => a.kind)).toEqual(['key-lock-temporary', 'key-lock-hard']);
    const onConsole = (await (await agentOf(t, office.director)).agent.get('/office')).text;
    expect(consoleNotice(onConsole, mine[1]!.id)).toContain('所長が解除するまで');

    // Lifting needs a fresh step-up…
    const stale = await agentOf(t, office.director);
    expect((await stale.agent.post(`/office/key-locks/${office.director.id}/unlock`).type('form').send({ _csrf: stale.csrf })).status).toBe(403);
    // …and then works, audited as the director's own.
    const fresh = await agentOf(t, office.director, { stepUp: true });
    const lifted = await fresh.agent.post(`/office/key-locks/${office.director.id}/unlock`).type('form').send({ _csrf: fresh.csrf });
    expect(lifted.status).toBe(303);
    expect(JSON.parse((await actions(t, 'key.passphrase.unlock')).at(-1)!.details)).toEqual({ self: true });
    // Lifting the lock settles its alerts: they leave the console.
    expect((await alerts(t)).filter((a) => a.about_user_id === office.director.id).every((a) => a.acknowledged_at !== null)).toBe(true);
    expect(consoleNotice((await fresh.agent.get('/office')).text, mine[1]!.id)).toBe('');
    expect((await unlockOfficeKey(t.deps, office.director.id, DIRECTOR.keyPassphrase)).isDecrypted()).toBe(true);
  });

  it('the reveal form counts too: wrong passphrases lock the holder there, and the right one is refused while locked', async () => {
    clock.advance(K.windowMs); // a run of its own
    const [person] = await putInVault(t.deps, {
      companyId: office.company.id,
      employees: [{ number: syntheticMyNumbers(1, 1207)[0]!, name: '開示 太郎' }],
      unlockAs: office.director.id,
      passphrase: DIRECTOR.keyPassphrase,
    });
    const holder = await agentOf(t, office.holder);
    const reveal = (passphrase: string) =>
      holder.agent.post(`/office/persons/${person!.id}/reveal`).type('form').send({ _csrf: holder.csrf, purpose: 'employment-insurance', passphrase });
    const before = (await actions(t, 'key.passphrase.failure')).length;
    const statuses: number[] = [];
    for (let i = 0; i < K.holderFailures; i++) statuses.push((await reveal(`wrong-reveal-${i}`)).status);
    expect(statuses).toEqual([...Array(K.holderFailures - 1).fill(400), 429]);
    const locked = await reveal(STAFF_PASSPHRASE);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('鍵のパスフレーズの入力誤りが続いたため');
    const failures = (await actions(t, 'key.passphrase.failure')).slice(before);
    expect(failures.map((e) => JSON.parse(e.details).form)).toEqual(Array(K.holderFailures).fill('reveal'));
    const denied = (await actions(t, 'vault.reveal.denied')).map((e) => JSON.parse(e.details).reason);
    expect(denied.filter((r) => r === 'passphraseLocked')).toHaveLength(2);
    expect(await actions(t, 'vault.reveal')).toHaveLength(0);
  });
});

describe('the lock alert never claims a mail that did not go out', () => {
  it('no director has an address: the console notice stands, marked as not sent', async () => {
    const { t, office, dropId } = await officeWith();
    try {
      const holder = await agentOf(t, office.holder);
      for (let i = 0; i < K.holderFailures; i++) await holder.agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: holder.csrf, passphrase: `nope-${i}-passphrase` });
      await mailSettled(t);
      const [alert] = await alerts(t);
      expect(alert).toMatchObject({ about_user_id: office.holder.id, kind: 'key-lock-temporary', mail_state: 'nobody', mail_recipients: 0 });
      expect((await actions(t, 'key.passphrase.alert')).at(-1)!.result).toBe('failed');
      const director = await agentOf(t, office.director);
      const notice = consoleNotice((await director.agent.get('/office')).text, alert!.id);
      expect(notice).toContain('鍵のパスフレーズの入力誤りで');
      expect(notice).toContain('所長のメールアドレスが登録されていないため、メールは送っていません。');
      expect(notice).not.toContain('メールでも知らせました');
      const page = (await director.agent.get('/office/key-locks')).text;
      expect(page).toContain('メールアドレスが登録された所長がいません');
      expect(page).not.toContain('に送りました');
    } finally {
      await t.close();
    }
  });

  it('the mail server refuses: marked as failed, never as sent', async () => {
    const { t, office, dropId } = await officeWith({ KINKO_SMTP_URL: 'smtp://127.0.0.1:9' });
    try {
      await t.deps.db.updateTable('users').set({ email: 'shocho@example.jp' }).where('id', '=', office.director.id).execute();
      const holder = await agentOf(t, office.holder);
      for (let i = 0; i < K.holderFailures; i++) await holder.agent.post(`/office/drops/${dropId}/ingest`).type('form').send({ _csrf: holder.csrf, passphrase: `nope-${i}-passphrase` });
      await mailSettled(t);
      const [alert] = await alerts(t);
      expect(alert).toMatchObject({ kind: 'key-lock-temporary', mail_state: 'failed', mail_recipients: 0 });
      expect((await actions(t, 'key.passphrase.alert')).at(-1)!.result).toBe('failed');
      const director = await agentOf(t, office.director);
      const notice = consoleNotice((await director.agent.get('/office')).text, alert!.id);
      expect(notice).toContain('鍵のパスフレーズの入力誤りで');
      expect(notice).toContain('メールを送れませんでした。');
      expect(notice).not.toContain('メールでも知らせました');
      const page = (await director.agent.get('/office/key-locks')).text;
      expect(page).toContain('送れませんでした');
      expect(page).not.toContain('に送りました');
    } finally {
      await t.close();
    }
  });
});
