import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dateCell } from '../../server/ingest/parse/dates.js';
import { classifyHeader } from '../../server/ingest/parse/headers.js';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { fakeClock } from '../helpers/clock.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, type Office } from '../helpers/ingest-office.js';
import { STANDALONE_TWELVE_DIGITS, syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';

/**
 * A roster with a 退職日 column (issue 14 §1): the preview offers the dates
 * as departures to record, and only a ticked box records them — for the
 * employees added now and for those already held; a date after today is
 * not recorded. Each recorded departure is audited, and the retention page
 * then shows the employee's disposal date.
 */
describe('a roster’s leaving dates', () => {
  it('reads 退職日 headers and the date forms payroll files use, and nothing it would have to guess', () => {
    for (const h of ['退職日', '退職年月日', '退 職 日', '退社日', '離職日']) expect(classifyHeader(h)?.role).toBe('leftOn');
    for (const h of ['退職理由', '入社日', '退職金']) expect(classifyHeader(h)?.role).not.toBe('leftOn');
    expect(dateCell('2026-03-31')).toBe('2026-03-31');
    expect(dateCell('2026/3/31')).toBe('2026-03-31');
    expect(dateCell('２０２６年３月３１日')).toBe('2026-03-31');
    expect(dateCell('令和8年3月31日')).toBe('2026-03-31');
    expect(dateCell('R8.3.31')).toBe('2026-03-31');
    expect(dateCell('平成31年4月30日')).toBe('2019-04-30');
    expect(dateCell('', 46112)).toBe('2026-03-31'); // an Excel date cell
    for (const bad of ['3/31', '2026/2/30', '31-Mar-2026', '退職予定', '2026-13-01', '']) expect(dateCell(bad)).toBeNull();
  });

  describe('through the preview and the confirmation', () => {
    let t: TestApp;
    let office: Office;
    const numbers = syntheticMyNumbers(4, 3131);

    beforeAll(async () => {
      t = await makeTestApp({}, { clock: fakeClock('2026-12-03T03:00:00.000Z') });
      office = await arrangeOffice(t.deps);
    });
    afterAll(async () => {
      await t?.close();
    });

    const roster = (rows: string[][]) => Buffer.from(['社員番号,氏名,個人番号,退職日', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n', 'utf8');

    async function ingest(csv: Buffer, tick: boolean) {
      const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv));
      const { agent } = await signedInAgent(t.app, t.deps, office.director);
      const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
      const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
      expect(start.status).toBe(303);
      const preview = await agent.get(start.headers.location as string);
      const version = /name="version" value="(\d+)"/.exec(preview.text)![1]!;
      const confirm = await agent.post(`${start.headers.location}/confirm`).type('form').send({ _csrf: csrf, version, ...(tick ? { departures: '1' } : {}) });
      expect(confirm.status).toBe(303);
      return preview.text;
    }
    const leftOn = async (code: string) => {
      const p = await t.deps.db.selectFrom('persons').select('id').where('employee_code', '=', code).executeTakeFirstOrThrow();
      return (await t.deps.db.selectFrom('person_retention').select('left_on').where('person_id', '=', p.id).executeTakeFirst())?.left_on ?? null;
    };

    it('when the box is left unticked, the dates are shown as an offer and nothing is recorded', async () => {
      const text = await ingest(roster([['L1', '退職 一郎', numbers[0]!, '2026/3/31'], ['L2', '在籍 二郎', numbers[1]!, ''], ['L3', '予定 三郎', numbers[2]!, '2027/3/31']]), false);
      expect(text).toContain('この名簿の退職日を、1 人の退職として記録する');
      expect(text).toContain('退職日が今日より後の 1 人は、退職として記録しません');
      expect(text).not.toMatch(STANDALONE_TWELVE_DIGITS);
      expect(await leftOn('L1')).toBeNull();
    });

    it('when a later roster carries the date and the box is ticked, the held employee and a new one are recorded as leavers, audited, with their disposal date on the retention page', async () => {
      await ingest(roster([['L1', '退職 一郎', numbers[0]!, '令和8年3月31日'], ['L4', '新規 四郎', numbers[3]!, '2026-10-31'], ['L3', '予定 三郎', numbers[2]!, '2027/3/31']]), true);
      expect(await leftOn('L1')).toBe('2026-03-31'); // held since the first roster
      expect(await leftOn('L4')).toBe('2026-10-31'); // added now
      expect(await leftOn('L3')).toBeNull(); // a date still to come
      const audit = await t.deps.db.selectFrom('audit_log').select('details').where('action', '=', 'retention.departure').execute();
      expect(audit.map((a) => JSON.parse(a.details)).sort((a, b) => a.on.localeCompare(b.on))).toEqual([
        { kind: 'left', on: '2026-03-31', via: 'ingest' },
        { kind: 'left', on: '2026-10-31', via: 'ingest' },
      ]);
      await t.deps.db.insertInto('company_services').values({ company_id: office.company.id, service_id: 'shakai-hoken', set_at: t.deps.clock.now().toISOString(), set_by: null }).execute();
      const { agent } = await signedInAgent(t.app, t.deps, office.director);
      const page = await agent.get(`/office/companies/${office.company.id}/retention`);
      expect(page.text).toContain('退職日 2026-03-31');
    });
  });
});
