import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type request from 'supertest';
import { limits } from '../../server/config.js';
import type { PersonRow } from '../../server/vault/service.js';
import { csrfToken, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { fakeClock } from '../helpers/clock.js';
import { startSmtpSink, type SmtpSink } from '../notify/smtp-sink.js';
import { addKeyHolder, makeCompany, makeVaultOffice, numbersIn, putInVault, type VaultOffice } from '../helpers/vault-office.js';

/**
 * Issue 12.5: the reveal-block alert must reach the director. In an office
 * whose director has no e-mail address it used to reach nobody (audit
 * `recipients: 0`, nothing on the console) while the staff member was told
 * 「所長に連絡しました」. Now the alert is on the director's console always,
 * mailed when an address exists, and the staff member is told only what
 * really happened.
 */
type Agent = ReturnType<typeof request.agent>;

describe('reveal-block alert when no director has an e-mail address', () => {
  let t: TestApp;
  let office: VaultOffice;
  let persons: PersonRow[];
  const numbers = syntheticMyNumbers(6, 23);

  beforeAll(async () => {
    t = await makeTestApp({}, { clock: fakeClock('2025-07-01T00:00:00.000Z') });
    office = await makeVaultOffice(t.deps);
    const company = await makeCompany(t.deps, '通知テスト株式会社');
    persons = await putInVault(t.deps, {
      companyId: company.id,
      employees: numbers.slice(0, 3).map((n, i) => ({ number: n, name: `社員 ${i + 1}`, employeeCode: `A${i}`, dependents: [] })),
    });
    // The office of the issue: nobody who would be mailed has an address.
    await t.deps.db.updateTable('users').set({ email: null }).where('role', 'in', ['director', 'staff']).execute();
  });
  afterAll(async () => {
    await t.close();
  });

  async function agentFor(user: MadeUser): Promise<{ agent: Agent; csrf: string }> {
    const { agent } = await signedInAgent(t.app, t.deps, user);
    return { agent, csrf: await csrfToken(agent, '/office') };
  }
  const audit = (action: string) => t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();
  const outbox = () => path.join(t.dataDir, 'outbox');
  const mails = () => (fs.existsSync(outbox()) ? fs.readdirSync(outbox()).filter((f) => f.endsWith('.eml')) : []);

  it('the staff member is told the director’s screen shows it (not that mail went), and the director’s console shows it until marked seen', async () => {
    const limiter = await addKeyHolder(t.deps, 'staff', 'alert-test-key-passphrase');
    await t.deps.db.updateTable('users').set({ email: null, display_name: '上限 四郎' }).where('id', '=', limiter.id).execute();
    const a = await agentFor(limiter);
    for (let i = 0; i < limits.reveal.perHour; i++) {
      const res = await a.agent.post(`/office/persons/${persons[i % persons.length]!.id}/reveal`).type('form')
        .send({ _csrf: a.csrf, purpose: 'health-pension', passphrase: i === 0 ? 'alert-test-key-passphrase' : '' });
      expect([i, res.status]).toEqual([i, 200]);
    }
    const blocked = await a.agent.post(`/office/persons/${persons[0]!.id}/reveal`).type('form').send({ _csrf: a.csrf, purpose: 'health-pension' });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('所長の画面にお知らせを出しました。');
    expect(blocked.text).not.toContain('メールでも知らせました');
    expect(blocked.text).not.toContain('所長に連絡しました');
    expect(numbersIn(blocked.text, numbers)).toEqual([]);
    expect(mails()).toHaveLength(0);
    const [alertAudit] = await audit('vault.reveal.alert');
    expect(JSON.parse(alertAudit!.details)).toEqual({ recipients: 0, console: true, mail: 'nobody' });

    // A later refusal of the same block says the same, truthfully.
    const again = await a.agent.post(`/office/persons/${persons[1]!.id}/reveal`).type('form').send({ _csrf: a.csrf, purpose: 'health-pension' });
    expect(again.text).toContain('所長の画面にお知らせを出しました。');
    expect(again.text).not.toContain('メールでも');

    // The director's console and inbox show it, with its mail state; staff do not see it.
    const d = await agentFor(office.director);
    const home = await d.agent.get('/office');
    expect(home.status).toBe(200);
    expect(home.text).toContain('所長へのお知らせ');
    expect(home.text).toContain(`上限 四郎（${limiter.loginId}）さんの個人番号の表示が、1時間の上限（${limits.reveal.perHour}件）を超えたため止まりました。`);
    expect(home.text).toContain('所長のメールアドレスが登録されていないため、メールは送っていません。');
    expect((await d.agent.get('/office/drops')).text).toContain('上限 四郎');
    expect((await (await agentFor(office.keyHolder)).agent.get('/office')).text).not.toContain('上限 四郎');
    const en = await d.agent.get('/office?lang=en');
    expect(en.text).toContain(`上限 四郎 (${limiter.loginId}) passed the hourly limit`);
    await d.agent.get('/office?lang=ja');

    // Marked seen by the director (CSRF-protected, audited): gone from the console.
    const id = /action="\/office\/alerts\/([^/"]+)\/ack"/.exec(home.text)![1]!;
    expect((await d.agent.post(`/office/alerts/${id}/ack`).type('form').send({})).status).toBe(403);
    const staffAck = await a.agent.post(`/office/alerts/${id}/ack`).type('form').send({ _csrf: a.csrf });
    expect(staffAck.status).toBe(403);
    const ack = await d.agent.post(`/office/alerts/${id}/ack`).type('form').send({ _csrf: d.csrf }).redirects(0);
    expect(ack.status).toBe(303);
    expect((await d.agent.get('/office')).text).not.toContain('上限 四郎');
    expect((await audit('director.alert.ack')).map((e) => JSON.parse(e.target_ids)[0])).toEqual([id]);
  });
});

describe('reveal-block alert when the mail server refuses the e-mail', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let office: VaultOffice;
  let persons: PersonRow[];
  const numbers = syntheticMyNumbers(2, 29);

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await makeTestApp({ KINKO_SMTP_URL: sink.url }, { clock: fakeClock('2025-07-02T00:00:00.000Z') });
    office = await makeVaultOffice(t.deps);
    const company = await makeCompany(t.deps, '送信失敗テスト株式会社');
    persons = await putInVault(t.deps, { companyId: company.id, employees: [{ number: numbers[0]!, name: '社員 甲', employeeCode: 'B1', dependents: [] }] });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('the staff member is told the screen shows it but no mail went; the console says the mail failed', async () => {
    const limiter = await addKeyHolder(t.deps, 'staff', 'smtp-fail-key-passphrase');
    const { agent } = await signedInAgent(t.app, t.deps, limiter);
    const csrf = await csrfToken(agent, '/office');
    for (let i = 0; i < limits.reveal.perHour; i++) {
      const res = await agent.post(`/office/persons/${persons[0]!.id}/reveal`).type('form')
        .send({ _csrf: csrf, purpose: 'employment-insurance', passphrase: i === 0 ? 'smtp-fail-key-passphrase' : '' });
      expect([i, res.status]).toEqual([i, 200]);
    }
    sink.refuseNext(5);
    const blocked = await agent.post(`/office/persons/${persons[0]!.id}/reveal`).type('form').send({ _csrf: csrf, purpose: 'employment-insurance' });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('所長の画面にお知らせを出しました。メールでは知らせていないため');
    expect(blocked.text).not.toContain('メールでも知らせました');
    expect(sink.messages).toHaveLength(0);
    const [row] = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'vault.reveal.alert').execute();
    expect(row!.result).toBe('failed');
    expect(JSON.parse(row!.details)).toMatchObject({ console: true, mail: 'failed' });
    const d = await signedInAgent(t.app, t.deps, office.director);
    const home = await d.agent.get('/office');
    expect(home.text).toContain('メールを送れませんでした。');
    expect(home.text).toContain(limiter.loginId);
  });
});
