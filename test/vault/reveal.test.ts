import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type request from 'supertest';
import { limits } from '../../server/config.js';
import { UNLOCK_WINDOW_MS, type PersonRow } from '../../server/vault/service.js';
import { csrfToken, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { fakeClock, type ManualClock as FakeClock } from '../helpers/clock.js';
import { addKeyHolder, everyCell, filesUnder, makeCompany, makeVaultOffice, numbersIn, numbersInBytes, PASSPHRASES, putInVault, randomId, type VaultOffice } from '../helpers/vault-office.js';
import { databaseUrl } from '../helpers/databases.js';

type Agent = ReturnType<typeof request.agent>;
const grouped = (n: string) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;

describe.each(testDatabases())('reveal on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let clock: FakeClock;
  let office: VaultOffice;
  let persons: PersonRow[];
  let company: { id: string; name: string };
  const numbers = syntheticMyNumbers(30, 11);
  const numberOf = new Map<string, string>();

  beforeAll(async () => {
    db = await target.open();
    clock = fakeClock('2025-06-02T00:00:00.000Z');
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock });
    office = await makeVaultOffice(t.deps);
    company = await makeCompany(t.deps, '開示テスト株式会社');
    const employees = Array.from({ length: 10 }, (_, i) => ({
      number: numbers[i * 2]!,
      name: i === 9 ? '<script>alert(1)</script>' : `社員 ${i + 1}`,
      employeeCode: `K${i + 1}`,
      dependents: [{ number: numbers[i * 2 + 1]!, name: `家族 ${i + 1}`, relation: '配偶者' }],
    }));
    persons = await putInVault(t.deps, { companyId: company.id, employees });
    employees.forEach((e, i) => {
      numberOf.set(persons[i * 2]!.id, e.number);
      numberOf.set(persons[i * 2 + 1]!.id, e.dependents[0]!.number);
    });
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  async function agentFor(user: MadeUser, opts: { stepUp?: boolean } = {}): Promise<{ agent: Agent; csrf: string }> {
    const { agent } = await signedInAgent(t.app, t.deps, user, opts);
    return { agent, csrf: await csrfToken(agent, '/office') };
  }
  function reveal(a: { agent: Agent; csrf: string }, personId: string, form: { purpose?: string; passphrase?: string }) {
    return a.agent.post(`/office/persons/${personId}/reveal`).type('form').send({ _csrf: a.csrf, ...form });
  }
  async function audit(action: string) {
    return t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();
  }
  const outbox = () => path.join(t.dataDir, 'outbox');
  const mails = () => (fs.existsSync(outbox()) ? fs.readdirSync(outbox()).filter((f) => f.endsWith('.eml')) : []);

  it('the persons list and a person page show names, never a number', async () => {
    const a = await agentFor(office.plainStaff);
    const list = await a.agent.get(`/office/companies/${company.id}/persons`);
    expect(list.status).toBe(200);
    expect(list.text).toContain('社員 1');
    expect(list.text).toContain('配偶者');
    expect(list.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list.text).not.toContain('<script>alert(1)');
    expect(numbersIn(list.text, numbers)).toEqual([]);
    const filtered = await a.agent.get(`/office/companies/${company.id}/persons?q=${encodeURIComponent('家族 3')}`);
    expect(filtered.text).toContain('家族 3');
    expect(filtered.text).not.toContain('社員 1<');
    const page = await a.agent.get(`/office/persons/${persons[0]!.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('社員 1');
    expect(page.text).toContain('家族 1');
    expect(numbersIn(page.text, numbers)).toEqual([]);
  });

  it('unknown ids answer 404, also to clients', async () => {
    const a = await agentFor(office.keyHolder);
    expect((await a.agent.get(`/office/persons/${randomId()}`)).status).toBe(404);
    expect((await a.agent.get(`/office/companies/${randomId()}/persons`)).status).toBe(404);
    expect((await reveal(a, randomId(), { purpose: 'employment-insurance', passphrase: PASSPHRASES.keyHolder })).status).toBe(404);
    const client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    const c = await agentFor(client);
    expect((await c.agent.get(`/office/persons/${persons[0]!.id}`)).status).toBe(404);
    expect((await c.agent.get(`/office/companies/${company.id}/persons`)).status).toBe(404);
  });

  it('a key holder with the passphrase and a purpose sees the number, once, and exactly one audit entry records it', async () => {
    const a = await agentFor(office.keyHolder);
    const p = persons[2]!;
    const res = await reveal(a, p.id, { purpose: 'employment-insurance', passphrase: PASSPHRASES.keyHolder });
    expect(res.status).toBe(200);
    expect(res.text).toContain(grouped(numberOf.get(p.id)!));
    expect(res.text).toContain('雇用保険');
    expect(res.text).toContain('閉じる');
    expect(res.text).toContain(`href="/office/persons/${p.id}"`);
    expect(res.text).toContain('/static/js/reveal.js');
    expect(res.headers['cache-control']).toBe('no-store');

    const entries = await audit('vault.reveal');
    expect(entries).toHaveLength(1);
    const e = entries[0]!;
    expect(e).toMatchObject({ actor_id: office.keyHolder.id, actor_role: 'staff', company_id: company.id, purpose: '雇用保険', result: 'ok' });
    expect(JSON.parse(e.target_ids)).toEqual([p.id]);
    expect(JSON.parse(e.details)).toMatchObject({ token: p.token, purposeKey: 'employment-insurance' });
    expect(numbersIn(JSON.stringify(e), numbers)).toEqual([]);
    // Reloading or switching language never shows it again.
    const again = await a.agent.get(`/office/persons/${p.id}/reveal?lang=en`).redirects(0);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(`/office/persons/${p.id}`);
  });

  it('without a purpose (or with one not on the list) → 400 with a plain message, and nothing is revealed', async () => {
    const a = await agentFor(office.keyHolder);
    const before = (await audit('vault.reveal')).length;
    for (const purpose of [undefined, '', 'curiosity', '__proto__']) {
      const res = await reveal(a, persons[3]!.id, { purpose, passphrase: PASSPHRASES.keyHolder });
      expect(res.status).toBe(400);
      expect(res.text).toContain('利用目的を一覧から選んでください');
      expect(numbersIn(res.text, numbers)).toEqual([]);
    }
    expect((await audit('vault.reveal')).length).toBe(before);
  });

  it('a staff member who does not hold the key → 403 with the reason, audited as denied', async () => {
    const a = await agentFor(office.plainStaff);
    const res = await reveal(a, persons[0]!.id, { purpose: 'employment-insurance', passphrase: PASSPHRASES.keyHolder });
    expect(res.status).toBe(403);
    expect(res.text).toContain('事務所の鍵を預かっていません');
    expect(numbersIn(res.text, numbers)).toEqual([]);
    const page = await a.agent.get(`/office/persons/${persons[0]!.id}`);
    expect(page.text).toContain('事務所の鍵を預かっていません');
    expect(page.text).not.toContain('name="passphrase"');
    const denied = await audit('vault.reveal.denied');
    expect(denied.at(-1)).toMatchObject({ actor_id: office.plainStaff.id, result: 'denied' });
    expect(JSON.parse(denied.at(-1)!.details)).toEqual({ reason: 'notKeyHolder' });

    const m = await agentFor(office.mustChange);
    const res2 = await reveal(m, persons[0]!.id, { purpose: 'employment-insurance', passphrase: PASSPHRASES.oneTime });
    expect(res2.status).toBe(403);
    expect(res2.text).toContain('一時的なもののまま');
  });

  it('a wrong passphrase → 400 on the form, audited as denied', async () => {
    const a = await agentFor(office.director);
    const res = await reveal(a, persons[0]!.id, { purpose: 'salary-report', passphrase: 'not-the-passphrase' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('鍵のパスフレーズが違います');
    expect(res.text).toContain('value="salary-report" selected');
    expect(JSON.parse((await audit('vault.reveal.denied')).at(-1)!.details)).toEqual({ reason: 'wrongPassphrase' });
    const none = await reveal(a, persons[0]!.id, { purpose: 'salary-report' });
    expect(none.status).toBe(400);
    expect(none.text).toContain('鍵のパスフレーズを入力してください');
  });

  it('the unlock window: 5 minutes without the passphrase for this session only, then the passphrase again; locking ends it early', async () => {
    const holder = await addKeyHolder(t.deps, 'staff', 'window-holder-passphrase');
    const a = await agentFor(holder);
    expect((await reveal(a, persons[4]!.id, { purpose: 'workers-comp', passphrase: 'window-holder-passphrase' })).status).toBe(200);
    const page = await a.agent.get(`/office/persons/${persons[5]!.id}`);
    expect(page.text).toContain('まで開いています');
    const again = await reveal(a, persons[5]!.id, { purpose: 'workers-comp' });
    expect(again.status).toBe(200);
    expect(again.text).toContain(grouped(numberOf.get(persons[5]!.id)!));
    // Another session of the same person has no window.
    const other = await agentFor(holder);
    expect((await reveal(other, persons[5]!.id, { purpose: 'workers-comp' })).status).toBe(400);

    clock.advance(UNLOCK_WINDOW_MS - 1000);
    expect((await reveal(a, persons[5]!.id, { purpose: 'workers-comp' })).status).toBe(200);
    clock.advance(1001);
    const expired = await reveal(a, persons[5]!.id, { purpose: 'workers-comp' });
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('鍵のパスフレーズを入力してください');

    expect((await reveal(a, persons[5]!.id, { purpose: 'workers-comp', passphrase: 'window-holder-passphrase' })).status).toBe(200);
    const lock = await a.agent.post('/office/reveal/lock').type('form').send({ _csrf: a.csrf, personId: persons[5]!.id }).redirects(0);
    expect(lock.status).toBe(303);
    expect(lock.headers.location).toBe(`/office/persons/${persons[5]!.id}?locked=1`);
    expect((await reveal(a, persons[5]!.id, { purpose: 'workers-comp' })).status).toBe(400);
  });

  it('tampering is detected: a flipped bit, swapped records, a cut or missing object → "damaged", audited', async () => {
    const vault = t.deps.storage.vault;
    const bytesOf = async (token: string) => {
      const chunks: Buffer[] = [];
      for await (const c of await vault.get(token)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    const replace = async (token: string, bytes: Buffer) => {
      await vault.delete(token);
      await vault.put(token, Readable.from([bytes]), { createOnly: true });
    };
    const [flip, swapA, swapB, cut, gone] = [persons[10]!, persons[11]!, persons[12]!, persons[13]!, persons[14]!];
    const f = await bytesOf(flip.token);
    f[20]! ^= 0x01;
    await replace(flip.token, f);
    const [ba, bb] = [await bytesOf(swapA.token), await bytesOf(swapB.token)];
    await replace(swapA.token, bb);
    await replace(swapB.token, ba);
    await replace(cut.token, (await bytesOf(cut.token)).subarray(0, 30));
    await vault.delete(gone.token);

    const a = await agentFor(office.director);
    const before = (await audit('vault.reveal')).length;
    for (const [i, p] of [flip, swapA, swapB, cut, gone].entries()) {
      const res = await reveal(a, p.id, { purpose: 'other-statutory', passphrase: i === 0 ? PASSPHRASES.director : '' });
      expect([p.relation, res.status]).toEqual([p.relation, 500]);
      expect(res.text).toContain('データが壊れている');
      expect(numbersIn(res.text, numbers)).toEqual([]);
    }
    expect((await audit('vault.reveal')).length).toBe(before);
    const damaged = await audit('vault.record.damaged');
    expect(damaged.map((d) => JSON.parse(d.target_ids)[0])).toEqual([flip.id, swapA.id, swapB.id, cut.id, gone.id]);
    expect(damaged.every((d) => d.result === 'failed')).toBe(true);
  });

  it(`${limits.reveal.perHour} reveals in an hour pass; the next is blocked, the director is mailed once, and only a director's lift ends it`, async () => {
    const limiter = await addKeyHolder(t.deps, 'staff', 'limiter-key-passphrase');
    const a = await agentFor(limiter);
    const ok = persons.slice(0, 10);
    for (let i = 0; i < limits.reveal.perHour; i++) {
      const res = await reveal(a, ok[i % ok.length]!.id, { purpose: 'health-pension', passphrase: i === 0 ? 'limiter-key-passphrase' : '' });
      expect([i, res.status]).toEqual([i, 200]);
    }
    expect(mails()).toHaveLength(0);
    const blocked = await reveal(a, ok[0]!.id, { purpose: 'health-pension' });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('上限を超えた');
    // Exactly what happened: the director's screen, and mail because the mailer took it.
    expect(blocked.text).toContain('所長の画面にお知らせを出しました。メールでも知らせました。');
    expect(numbersIn(blocked.text, numbers)).toEqual([]);
    expect(await audit('vault.reveal.blocked')).toHaveLength(1);
    expect(mails()).toHaveLength(1);
    const mail = fs.readFileSync(path.join(outbox(), mails()[0]!), 'utf8');
    expect(mail).toContain(`${office.director.loginId}@example.jp`);
    expect(mail).not.toContain(`${limiter.loginId}@example.jp`);
    expect(numbersIn(mail, numbers)).toEqual([]);
    const alerts = await audit('vault.reveal.alert');
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0]!.target_ids)[0]).toBe(limiter.id);
    expect(JSON.parse(alerts[0]!.details)).toEqual({ recipients: 1, console: true, mail: 'sent' });

    // Still blocked: a second try (audited, no second mail), and after the hour has passed.
    const again = await reveal(a, ok[1]!.id, { purpose: 'health-pension' });
    expect(again.status).toBe(429);
    expect(again.text).toContain('所長の画面にお知らせを出しました。メールでも知らせました。');
    expect(await audit('vault.reveal.blocked')).toHaveLength(2);
    expect(mails()).toHaveLength(1);
    clock.advance(2 * 60 * 60_000);
    const later = await agentFor(limiter);
    expect((await later.agent.get(`/office/persons/${ok[0]!.id}`)).text).toContain('所長が解除するまで');
    expect((await reveal(later, ok[0]!.id, { purpose: 'health-pension', passphrase: 'limiter-key-passphrase' })).status).toBe(429);

    // The director sees it and lifts it (with a fresh step-up).
    const d = await agentFor(office.director, { stepUp: true });
    const list = await d.agent.get('/office/reveal-blocks');
    expect(list.status).toBe(200);
    expect(list.text).toContain(limiter.loginId);
    const staffTry = await later.agent.post(`/office/reveal-blocks/${limiter.id}/lift`).type('form').send({ _csrf: later.csrf });
    expect(staffTry.status).toBe(403);
    const lift = await d.agent.post(`/office/reveal-blocks/${limiter.id}/lift`).type('form').send({ _csrf: d.csrf }).redirects(0);
    expect(lift.status).toBe(303);
    expect((await audit('vault.reveal.unblock')).map((e) => JSON.parse(e.target_ids)[0])).toEqual([limiter.id]);
    expect((await d.agent.get('/office/reveal-blocks')).text).not.toContain(limiter.loginId);
    const after = await reveal(later, ok[2]!.id, { purpose: 'health-pension', passphrase: 'limiter-key-passphrase' });
    expect(after.status).toBe(200);
  });

  it('when the audit entry cannot be written, the reveal is refused and the number never leaves', async () => {
    const a = await agentFor(office.keyHolder);
    const eventsBefore = (await t.deps.db.selectFrom('reveal_events').select('id').execute()).length;
    const revealsBefore = (await audit('vault.reveal')).length;
    if (t.deps.database.dialect === 'sqlite') {
      await sql`create trigger audit_read_only before insert on audit_log begin select raise(abort, 'audit is read-only'); end`.execute(t.deps.db);
    } else {
      await sql`create function kinko_test_audit_ro() returns trigger language plpgsql as $$ begin raise exception 'audit is read-only'; end $$`.execute(t.deps.db);
      await sql`create trigger audit_read_only before insert on audit_log for each row execute function kinko_test_audit_ro()`.execute(t.deps.db);
    }
    try {
      const res = await reveal(a, persons[6]!.id, { purpose: 'withholding-slip', passphrase: PASSPHRASES.keyHolder });
      expect(res.status).toBe(503);
      expect(res.text).toContain('記録を書き込めなかった');
      expect(numbersIn(res.text, numbers)).toEqual([]);
    } finally {
      if (t.deps.database.dialect === 'sqlite') await sql`drop trigger audit_read_only`.execute(t.deps.db);
      else {
        await sql`drop trigger audit_read_only on audit_log`.execute(t.deps.db);
        await sql`drop function kinko_test_audit_ro()`.execute(t.deps.db);
      }
    }
    expect((await t.deps.db.selectFrom('reveal_events').select('id').execute()).length).toBe(eventsBefore);
    expect((await audit('vault.reveal')).length).toBe(revealsBefore);
    // And with the trail writable again, the same reveal goes through.
    expect((await reveal(a, persons[6]!.id, { purpose: 'withholding-slip', passphrase: PASSPHRASES.keyHolder })).status).toBe(200);
  });

  it('after all of that, no number is in any table, file of the data folder, or log line', async () => {
    const hits = (await everyCell(t.deps)).filter((c) => numbersIn(c.text, numbers).length > 0).map((c) => c.where);
    expect(hits).toEqual([]);
    const files = filesUnder(t.dataDir);
    if (db.config.kind === 'sqlite') for (const f of [db.config.file, `${db.config.file}-wal`]) if (fs.existsSync(f)) files.push(f);
    for (const f of files) expect([f, numbersInBytes(fs.readFileSync(f), numbers)]).toEqual([f, []]);
    expect(numbersIn(t.logs.text, numbers)).toEqual([]);
  });
});
