import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Acting } from '../../server/accounts/acting.js';
import { openDirectorAlerts } from '../../server/notify/director-alerts.js';
import { dueByCompany, runRetentionCheck } from '../../server/retention/alarms.js';
import { mailText } from '../helpers/outbox.js';
import { reportDeparture, setCompanyServices, setHold } from '../../server/retention/service.js';
import { makeUser } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { databaseUrl } from '../helpers/databases.js';
import { makeHeldFamily, type HeldFamily } from '../helpers/held-family.js';

describe.each(testDatabases())('廃棄アラーム on $name', (target) => {
  let db: OpenedTestDatabase;
  let t: TestApp;
  let f: HeldFamily;
  let g: HeldFamily;
  let now = new Date('2026-12-02T03:00:00Z');
  const outbox = () => path.join(t.dataDir, 'outbox');
  const mails = () => (fs.existsSync(outbox()) ? fs.readdirSync(outbox()).filter((n) => n.endsWith('.eml')).sort() : []);

  beforeAll(async () => {
    db = await target.open();
    t = await makeTestApp({ KINKO_DATABASE_URL: databaseUrl(db) }, { clock: { now: () => now } });
    await makeUser(t.deps, { role: 'director' });
    f = await makeHeldFamily(t.deps, '山田商事株式会社');
    g = await makeHeldFamily(t.deps, '佐藤工業株式会社');
    const staff: Acting = { userId: (await makeUser(t.deps, { role: 'staff' })).id, role: 'staff', requestId: null };
    for (const c of [f, g]) await setCompanyServices(t.deps, staff, { companyId: c.companyId, serviceIds: ['shakai-hoken'] });
    // 健保・厚年 2 years: 山田 太郎 left 2024-11-15 → due 2026-11-16 (now); 佐藤 次郎 left 2024-12-20 → due 2026-12-21 (soon)
    await reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.taro, kind: 'left', on: '2024-11-15', via: 'office' });
    await reportDeparture(t.deps, staff, { companyId: f.companyId, personId: f.jiro, kind: 'left', on: '2024-12-20', via: 'office' });
    // the other company: one overdue (left 2024-06-30 → due 2026-07-01), one on hold
    await reportDeparture(t.deps, staff, { companyId: g.companyId, personId: g.taro, kind: 'left', on: '2024-06-30', via: 'office' });
    await reportDeparture(t.deps, staff, { companyId: g.companyId, personId: g.jiro, kind: 'left', on: '2024-06-30', via: 'office' });
    await setHold(t.deps, staff, { companyId: g.companyId, personId: g.jiro, reason: '調査中' });
  });
  afterAll(async () => {
    await t?.close();
    await db?.cleanup();
  });

  it('when numbers are due, the counts per company split into due now, within 30 days, overdue and on hold', async () => {
    const rows = await dueByCompany(t.deps.db, '2026-12-02', 30);
    const of = (id: string) => rows.find((r) => r.companyId === id);
    // 山田 太郎 with spouse and child are due now; 佐藤 次郎 within 30 days
    expect(of(f.companyId)).toMatchObject({ due: 3, soon: 1, overdue: 0, onHold: 0 });
    expect(of(g.companyId)).toMatchObject({ due: 0, soon: 0, overdue: 3, onHold: 1 });
  });

  it('when the day is checked, the directors get one console alert and one e-mail with counts only — twice in a day sends nothing more', async () => {
    const first = await runRetentionCheck(t.deps, 30);
    expect(first).toMatchObject({ kind: 'raised', day: '2026-12-02', mail: 'sent', companies: 2 });
    expect(await runRetentionCheck(t.deps, 30)).toEqual({ kind: 'already-sent', day: '2026-12-02' });
    expect((await openDirectorAlerts(t.deps.db)).filter((a) => a.kind === 'retention-due')).toHaveLength(1);
    expect(mails()).toHaveLength(1);
    const text = mailText(fs.readFileSync(path.join(outbox(), mails()[0]!), 'utf8'));
    expect(text).toContain('・山田商事株式会社: 期限切れ 0 件／廃棄できる 3 件／30日以内 1 件／保留中 0 件');
    expect(text).toContain('佐藤工業株式会社: overdue 3 / may be disposed of 0 / within 30 days 0 / on hold 1');
    for (const name of ['山田 太郎', '山田 花子', '佐藤 次郎', '山田 一郎']) expect(text).not.toContain(name);
    const audit = await t.deps.db.selectFrom('audit_log').select(['details']).where('action', '=', 'retention.alarm').execute();
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([{ day: '2026-12-02', companies: 2, due: 3, overdue: 3, soon: 1, mail: 'sent', recipients: 1 }]);
  });

  it('when the next day comes, its digest goes out again', async () => {
    now = new Date('2026-12-03T03:00:00Z');
    expect(await runRetentionCheck(t.deps, 30)).toMatchObject({ kind: 'raised', day: '2026-12-03' });
    expect(mails()).toHaveLength(2);
  });
});
