import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Deps } from '../../server/deps.js';
import { appendAudit, type AuditEvent } from '../../server/audit/service.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { csrfToken, makeCompany, makeUser, signedInAgent, type MadeUser } from '../helpers/actors.js';
import { syntheticMyNumbers, variants } from '../helpers/mynumber.js';
import { clearChain, entry, flipBit } from './chain-helpers.js';

type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

/** The raw bytes of a response (to see the BOM exactly as Excel will). */
function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** RFC 4180 reader, enough for the export (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += ch;
  }
  return rows;
}

async function record(deps: Deps, at: string, event: AuditEvent): Promise<number> {
  return deps.db.transaction().execute((trx) => appendAudit(trx, { key: deps.secrets.audit, now: () => new Date(at) }, event));
}

describe.each(testDatabases())('the director audit console on $name', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let director: MadeUser;
  let staff: MadeUser;
  let client: MadeUser;
  let company: { id: string; name: string };
  let hostile: { id: string; name: string };
  let boss: Agent;

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp({
      KINKO_DATABASE_URL: opened.config.kind === 'postgres' ? opened.config.url : `sqlite:${opened.config.file}`,
    });
    company = await makeCompany(t.deps, '山田商事株式会社');
    hostile = await makeCompany(t.deps, '=HYPERLINK("http://evil.example/","請求書")');
    director = await makeUser(t.deps, { role: 'director', name: '所長 佐藤' });
    staff = await makeUser(t.deps, { role: 'staff', name: '+職員 鈴木' });
    client = await makeUser(t.deps, { role: 'client', companyId: company.id });
    boss = (await signedInAgent(t.app, t.deps, director)).agent;
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });
  beforeEach(async () => {
    await clearChain(t.deps.db);
  });

  describe('who may see it', () => {
    it('the director gets the page', async () => {
      const res = await boss.get('/office/audit');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.text).toContain('操作の記録');
    });

    it('staff get 403, on the page, the export and the check', async () => {
      const { agent } = await signedInAgent(t.app, t.deps, staff);
      expect((await agent.get('/office/audit')).status).toBe(403);
      const token = await csrfToken(agent);
      expect((await agent.post('/office/audit.csv').type('form').send({ _csrf: token, purpose: 'x' })).status).toBe(403);
      expect((await agent.post('/office/audit/verify').type('form').send({ _csrf: token })).status).toBe(403);
      expect(await t.deps.db.selectFrom('audit_log').selectAll().execute()).toEqual([]);
    });

    it('a client gets 404, exactly like a random path', async () => {
      const { agent } = await signedInAgent(t.app, t.deps, client);
      const res = await agent.get('/office/audit');
      const random = await agent.get('/office/no-such-page');
      expect(res.status).toBe(404);
      expect(random.status).toBe(404);
      expect((await agent.get('/office/audit.csv')).status).toBe(404);
    });

    it('an anonymous visitor is sent to log in (401 or a redirect to the login page)', async () => {
      const res = await request(t.app).get('/office/audit');
      expect([302, 303, 401]).toContain(res.status);
      if (res.status !== 401) expect(res.headers.location).toMatch(/\/office\/login/);
      expect(res.text).not.toContain('test.event');
    });
  });

  describe('reading and filtering', () => {
    beforeEach(async () => {
      await record(t.deps, '2025-03-31T14:59:00.000Z', { action: 'auth.login', actorId: staff.id, actorRole: 'staff' }); // 3/31 23:59 JST
      await record(t.deps, '2025-03-31T15:00:00.000Z', { action: 'auth.login', actorId: director.id, actorRole: 'director', result: 'denied' }); // 4/1 00:00 JST
      await record(t.deps, '2025-04-01T03:00:00.000Z', { action: 'vault.reveal', actorId: staff.id, actorRole: 'staff', companyId: company.id, purpose: '年末調整のため', targetIds: ['p-1'] });
      await record(t.deps, '2025-04-02T03:00:00.000Z', { action: 'drops.upload', actorId: client.id, actorRole: 'client', companyId: company.id, details: { files: 2 } });
      await record(t.deps, '2025-04-02T15:00:00.000Z', { action: 'auth.logout', actorId: staff.id, actorRole: 'staff', result: 'failed' }); // 4/3 00:00 JST
    });

    const seqsOf = (html: string) => [...html.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));

    it('shows the newest first, in Japanese, with names and Japan time', async () => {
      const res = await boss.get('/office/audit');
      expect(seqsOf(res.text)).toEqual([5, 4, 3, 2, 1]);
      expect(res.text).toContain('2025-04-01 12:00:00');
      expect(res.text).toContain('山田商事株式会社');
      expect(res.text).toContain('年末調整のため');
      expect(res.text).toContain('拒否');
    });

    it.each([
      ['action (exact)', 'action=auth.login', [2, 1]],
      ['action (prefix)', 'action=auth.*', [5, 2, 1]],
      ['company', 'company=COMPANY', [4, 3]],
      ['result', 'result=denied', [2]],
      ['actor (login ID)', 'actor=STAFF', [5, 3, 1]],
      ['date range (office days, Japan time)', 'from=2025-04-01&to=2025-04-02', [4, 3, 2]],
      ['several at once', 'action=auth.*&from=2025-04-01', [5, 2]],
    ])('filters by %s', async (_what, query, expected) => {
      const q = query.replace('COMPANY', company.id).replace('STAFF', staff.loginId);
      const res = await boss.get(`/office/audit?${q}`);
      expect(res.status).toBe(200);
      expect(seqsOf(res.text)).toEqual(expected);
    });

    it('a malformed filter is refused with a clear message, not ignored', async () => {
      const res = await boss.get('/office/audit?from=2025-02-30');
      expect(res.status).toBe(400);
      expect(res.text).toContain('日付は');
      expect((await boss.get('/office/audit?result=maybe')).status).toBe(400);
      expect((await boss.get('/office/audit?before=abc')).status).toBe(400);
    });

    it('pages 50 at a time, newest first, with a link to older entries that keeps the filter', async () => {
      for (let i = 0; i < 55; i++) await record(t.deps, '2025-05-01T00:00:00.000Z', { action: 'bulk.item', details: { i } });
      const first = await boss.get('/office/audit?action=bulk.item');
      const seqs = seqsOf(first.text);
      expect(seqs).toHaveLength(50);
      expect(seqs[0]).toBe(60);
      const older = /href="(\/office\/audit\?[^"]*before=\d+[^"]*)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
      expect(older).toContain('action=bulk.item');
      const second = await boss.get(older);
      expect(seqsOf(second.text)).toEqual([10, 9, 8, 7, 6]);
      expect(second.text).not.toMatch(/before=\d+/);
    });

    it('text that looks like markup is shown escaped', async () => {
      await record(t.deps, '2025-05-01T00:00:00.000Z', { action: 'test.xss', purpose: '<script>alert(1)</script>' });
      const res = await boss.get('/office/audit');
      expect(res.text).not.toContain('<script>alert(1)</script>');
      expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });
  });

  describe('CSV export', () => {
    const exportCsv = async (agent: Agent, fields: Record<string, string>) => {
      const token = await csrfToken(agent, '/office/audit');
      return agent.post('/office/audit.csv').type('form').send({ _csrf: token, ...fields }).buffer(true).parse(binary);
    };

    it('is UTF-8 with a BOM, round-trips Japanese exactly, and defuses formula prefixes in every cell', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'vault.reveal', actorId: staff.id, actorRole: 'staff', companyId: hostile.id, purpose: '@SUM(1+1)*cmd|' });
      await record(t.deps, '2025-04-01T01:00:00.000Z', { action: 'vault.reveal', actorId: director.id, actorRole: 'director', companyId: company.id, purpose: '-2+3 算定基礎届「確認」, "引用"' });
      await record(t.deps, '2025-04-01T02:00:00.000Z', { action: 'x.tab', purpose: '\tstarts with a tab' });

      const res = await exportCsv(boss, { purpose: '年次点検のため' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="kinko-audit-\d{8}-\d{6}\.csv"$/);
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

      const rows = parseCsv(body.toString('utf8').slice(1));
      expect(rows[0]).toEqual(['番号', '日時（日本時間）', '操作', '結果', '操作した人', 'ログインID', '立場', '会社', '会社ID', '対象', '目的', '内容', '問い合わせ番号']);
      // The file covers the trail as it was when the export began (not its own entry).
      expect(rows.slice(1).map((r) => r[0])).toEqual(['3', '2', '1']);
      const [tab, second, first] = rows.slice(1) as [string[], string[], string[]];
      expect(first[7]).toBe(`'${hostile.name}`);
      expect(first[10]).toBe(`'@SUM(1+1)*cmd|`);
      expect(first[4]).toBe(`'+職員 鈴木`);
      expect(second[10]).toBe(`'-2+3 算定基礎届「確認」, "引用"`);
      expect(second[4]).toBe('所長 佐藤');
      expect(second[7]).toBe('山田商事株式会社');
      expect(second[1]).toBe('2025-04-01 10:00:00');
      expect(tab[10]).toBe(`'\tstarts with a tab`);
      for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });

    it('is recorded exactly once, with the purpose, the director and the row count, before the file is sent', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one', companyId: company.id });
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.two' });
      const res = await exportCsv(boss, { purpose: '労働基準監督署の調査', company: company.id });
      expect(res.status).toBe(200);

      const exports = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'audit.export').execute();
      expect(exports).toHaveLength(1);
      expect(exports[0]).toMatchObject({ actor_id: director.id, actor_role: 'director', purpose: '労働基準監督署の調査', company_id: company.id, result: 'ok' });
      expect(JSON.parse(exports[0]!.details)).toMatchObject({ format: 'csv', rows: 1, upToSeq: 2 });
      expect(parseCsv((res.body as Buffer).toString('utf8').slice(1))).toHaveLength(2);
    });

    it('without a purpose, nothing is exported and nothing recorded', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one' });
      const res = await exportCsv(boss, { purpose: '   ' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).not.toContain('text/csv');
      expect(await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'audit.export').execute()).toEqual([]);
    });

    it('without the CSRF token, nothing is exported and nothing recorded', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one' });
      const res = await boss.post('/office/audit.csv').type('form').send({ purpose: 'x' });
      expect(res.status).toBe(403);
      expect(await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'audit.export').execute()).toEqual([]);
    });

    it('when the export cannot be recorded, it is refused', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one' });
      // Something already sits where the export's entry must go: the append fails.
      const { seq: _s, ...body } = await entry(t.deps.db, 1);
      await t.deps.db.insertInto('audit_log').values({ ...body, seq: 2 }).execute();
      const res = await exportCsv(boss, { purpose: '点検' });
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).not.toContain('text/csv');
    });

    it('streams a large trail completely (1,200 entries, several pages)', async () => {
      await t.deps.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 1200; i++) {
          await appendAudit(trx, { key: t.deps.secrets.audit, now: () => new Date('2025-04-01T00:00:00Z') }, { action: 'bulk.item', details: { i } });
        }
      });
      const res = await exportCsv(boss, { purpose: '点検' });
      const rows = parseCsv((res.body as Buffer).toString('utf8').slice(1));
      expect(rows).toHaveLength(1201);
      expect(rows[1]![0]).toBe('1200');
      expect(rows[1200]![0]).toBe('1');
    });

    it('never shows a My Number, even one a careless caller put into an event', async () => {
      const numbers = syntheticMyNumbers(3, 77);
      await record(t.deps, '2025-04-01T00:00:00.000Z', {
        action: 'test.careless', purpose: `確認 ${numbers[0]}`, targetIds: [numbers[1]!], details: { note: variants(numbers[2]!)[4]! },
      });
      const page = await boss.get('/office/audit');
      const csv = (await exportCsv(boss, { purpose: '点検' })).body as Buffer;
      for (const n of numbers) {
        for (const v of variants(n)) {
          expect(page.text).not.toContain(v);
          expect(csv.toString('utf8')).not.toContain(v);
        }
      }
      expect(page.text).toContain('[個人番号削除]');
    });
  });

  describe('verify now', () => {
    const verifyNow = async () => {
      const token = await csrfToken(boss, '/office/audit');
      return boss.post('/office/audit/verify').type('form').send({ _csrf: token });
    };

    it('on an intact trail, says how many were checked and records the check', async () => {
      for (let i = 0; i < 7; i++) await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one' });
      const res = await verifyNow();
      expect(res.status).toBe(200);
      expect(res.text).toContain('7 件の記録を点検しました。改ざんは見つかりませんでした。');
      const e = await entry(t.deps.db, 8);
      expect(e).toMatchObject({ action: 'audit.verify', actor_id: director.id, result: 'ok' });
    });

    it('on a tampered trail, names the first bad entry and the reason, and records a failed check', async () => {
      for (let i = 0; i < 7; i++) await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one', details: { i } });
      const e = await entry(t.deps.db, 4);
      await t.deps.db.updateTable('audit_log').set({ details: flipBit(e.details, 2) }).where('seq', '=', 4).execute();
      const res = await verifyNow();
      expect(res.status).toBe(200);
      expect(res.text).toContain('番号 4 の記録に問題があります');
      expect(res.text).toContain('記録の内容が書き換えられています');
      expect(await entry(t.deps.db, 8)).toMatchObject({ action: 'audit.verify', result: 'failed' });
    });

    it('is shown in English when chosen', async () => {
      await record(t.deps, '2025-04-01T00:00:00.000Z', { action: 'a.one' });
      const { agent } = await signedInAgent(t.app, t.deps, director);
      const token = await csrfToken(agent, '/office/audit');
      const res = await agent.post('/office/audit/verify?lang=en').type('form').send({ _csrf: token });
      expect(res.text).toContain('Entries checked: 1. No tampering found.');
    });
  });
});
