import { expect, it } from '@jest/globals';
import { verifyAudit } from '../../server/audit/verify.js';
import { makeUser } from '../helpers/actors.js';
import { Agent, csrfOf } from './agent.js';
import type { Cluster } from './cluster.js';
import { aDrop, confirm, startIngest } from './ingest.js';
import { directorOf, HOLDER_PASSPHRASE, makeHolder, totpNow } from './office.js';

/** What must hold across instances (issue 17 §3), each through both instances at once. */
export function invariantTests(get: () => Cluster): void {
  it('a revoked session dies at its next request on the other instance', async () => {
    const c = get();
    const [a, b] = c.instances as [Cluster['instances'][0], Cluster['instances'][0]];
    const staff = await makeUser(c.deps, { role: 'staff', name: '取消 五郎' });
    const agent = await Agent.signedIn(c.deps, b.base, staff.id);
    expect((await agent.get('/office/drops')).status).toBe(200);
    const director = await Agent.signedIn(c.deps, a.base, await directorOf(c.deps), { stepUp: true });
    const revoked = await director.submit('/office/staff', `/office/staff/${staff.id}/revoke`, {});
    expect(revoked.status).toBe(303);
    const after = await agent.get('/office/drops');
    expect(after.status).toBe(303);
    expect(after.location).toMatch(/\/office\/login/);
  });

  it('20 parallel logins with one TOTP code, spread over both instances: exactly one succeeds', async () => {
    const c = get();
    const staff = await makeUser(c.deps, { role: 'staff', name: '同時 六郎' });
    const code = await totpNow(staff.totpSecret);
    const agents = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const ag = new Agent(c.instances[i % 2]!.base);
        const page = await ag.get('/office/login');
        return { ag, csrf: csrfOf(page.text) };
      }),
    );
    const answers = await Promise.all(
      agents.map(({ ag, csrf }) => ag.send('POST', '/office/login', { _csrf: csrf, loginId: staff.loginId, password: staff.password, totp: code })),
    );
    const ok = answers.filter((r) => r.status === 303 && r.location === '/office');
    expect(ok).toHaveLength(1);
  });

  it('the reveal limit counts reveals made on both instances', async () => {
    const c = get();
    const holder = await makeHolder(c.deps, '開示 七郎');
    const { drop } = await aDrop(c, '開示商事', 1, 11);
    const agent = await Agent.signedIn(c.deps, c.lb, holder.id);
    const started = await startIngest(agent, drop.id);
    expect((await confirm(agent, started.location)).status).toBe(303);
    const person = await c.deps.db.selectFrom('persons').select('id').where('source_drop_id', '=', drop.id).executeTakeFirstOrThrow();
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) {
      const base = c.instances[i % 2]!.base;
      const r = await agent.submit(`/office/persons/${person.id}`, `/office/persons/${person.id}/reveal`, { purpose: 'health-pension', passphrase: HOLDER_PASSPHRASE }, base);
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    expect(statuses[50]).toBe(429);
    const block = await c.deps.db.selectFrom('reveal_blocks').select(['lifted_at']).where('user_id', '=', holder.id).executeTakeFirst();
    expect(block).toEqual({ lifted_at: null });
    const counted = await c.deps.db.selectFrom('audit_log').select('seq').where('action', '=', 'vault.reveal').where('actor_id', '=', holder.id).execute();
    expect(counted).toHaveLength(50);
  }, 120_000);

  it('1,000 concurrent audited actions over both instances leave one chain that verifies', async () => {
    const c = get();
    const before = await c.deps.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const people = await Promise.all(Array.from({ length: 10 }, (_, i) => makeUser(c.deps, { role: 'staff', name: `監査 ${i}` })));
    const agents = await Promise.all(people.map(async (p) => {
      const ag = await Agent.signedIn(c.deps, c.lb, p.id);
      return { ag, csrf: csrfOf((await ag.get('/office/settings/notices')).text) };
    }));
    const jobs = Array.from({ length: 1000 }, (_, i) => () => {
      const { ag, csrf } = agents[i % agents.length]!;
      return ag.send('POST', '/office/settings/notices', { _csrf: csrf, email: `kansa${i}@office.example` }, c.instances[i % 2]!.base);
    });
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 50 }, async () => {
      while (next < jobs.length) statuses.push((await jobs[next++]!()).status);
    }));
    expect(statuses.filter((s) => s !== 303)).toEqual([]);
    const after = await c.deps.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(1000);
    const report = await verifyAudit(c.deps.db, c.deps.secrets.audit);
    expect(report).toMatchObject({ ok: true });
  }, 180_000);

  it('one notice e-mail per room per batch, not one per instance', async () => {
    const c = get();
    const director = await directorOf(c.deps);
    await c.deps.db.updateTable('users').set({ email: 'shocho@office.example' }).where('id', '=', director).execute();
    const { company, client } = await (await import('./office.js')).makeRoom(c.deps, '通知商事');
    const { apiLogin, upload } = await import('./office.js');
    const token = await apiLogin(c.lb, company, client);
    const before = c.smtp.messages.length;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(c.instances[i % 2]!.base, token, Buffer.from(`a,b\r\n${i},x\r\n`), `n${i}.csv`)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    // The batch is 3 s; both instances' timers look every second: wait well past it.
    await new Promise((r) => setTimeout(r, 7_000));
    const mails = c.smtp.messages.slice(before).filter((m) => m.rcptTo.includes('shocho@office.example'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text + mails[0]!.subject).toContain('通知商事');
  }, 30_000);
}
