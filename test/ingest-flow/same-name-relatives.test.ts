import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { csrfToken, signedInAgent } from '../helpers/actors.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { testDatabases, type OpenedTestDatabase } from '../helpers/databases.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { DIRECTOR } from '../setup/setup-helpers.js';
import { arrangeDrop, arrangeOffice, encryptToOffice, type Office } from '../helpers/ingest-office.js';

/**
 * Issue 11, defect 3: the 配偶者 and the 扶養親族1 of one employee may carry
 * the same name (a roster typed carelessly, or two relatives who really share
 * it). They sit in different column groups of the row, so they are two
 * people: a first ingest adds both, and nothing is held as 「番号が以前と違う」.
 * The preview's summary and its held-rows section show one and the same count.
 */
type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

function relativesCsv(rows: Array<{ code: string; name: string; number: string; spouse: [string, string]; dep1: [string, string] }>): Buffer {
  const head = ['社員番号', '氏名', '個人番号', '配偶者氏名', '配偶者の個人番号', '扶養親族1 氏名', '扶養親族1 個人番号'].join(',');
  const lines = rows.map((r) => [r.code, r.name, r.number, r.spouse[0], r.spouse[1], r.dep1[0], r.dep1[1]].join(','));
  return Buffer.from([head, ...lines].join('\r\n') + '\r\n', 'utf8');
}

/** The number in 「保留する行: N 行」 (summary) and in 「保留する行（N 行）」 (the section's heading). */
function heldCounts(html: string): { summary: number; section: number } {
  const summary = /保留する行: ([0-9,]+) 行/.exec(html);
  const section = /保留する行（([0-9,]+) 行）/.exec(html);
  if (!summary || !section) throw new Error('held-rows counts not found on the preview page');
  return { summary: Number(summary[1]!.replace(/,/g, '')), section: Number(section[1]!.replace(/,/g, '')) };
}

describe.each(testDatabases())('two relatives with the same name on one row (on $name)', (target) => {
  let opened: OpenedTestDatabase;
  let t: TestApp;
  let office: Office;
  let agent: Agent;
  const n = syntheticMyNumbers(10, 1103);

  beforeAll(async () => {
    opened = await target.open();
    t = await makeTestApp(opened.config.kind === 'postgres' ? { KINKO_DATABASE_URL: opened.config.url } : {});
    office = await arrangeOffice(t.deps);
    agent = (await signedInAgent(t.app, t.deps, office.director)).agent;
  });
  afterAll(async () => {
    await t?.close();
    await opened?.cleanup();
  });

  async function preview(csv: Buffer) {
    const drop = await arrangeDrop(t.deps, office, await encryptToOffice(t.deps.db, csv));
    const csrf = await csrfToken(agent, `/office/drops/${drop.id}`);
    const start = await agent.post(`/office/drops/${drop.id}/ingest`).type('form').send({ _csrf: csrf, passphrase: DIRECTOR.keyPassphrase });
    expect(start.status).toBe(303);
    const url = start.headers.location as string;
    const page = await agent.get(url);
    expect(page.status).toBe(200);
    const version = /name="version" value="(\d+)"/.exec(page.text)![1]!;
    return { dropId: drop.id, url, page, csrf, version };
  }

  it('a first ingest adds the spouse and the dependent both, holds nothing, and the two held counts agree', async () => {
    const csv = relativesCsv([{ code: 'S001', name: '山本 一郎', number: n[0]!, spouse: ['山本 春子', n[1]!], dep1: ['山本 春子', n[2]!] }]);
    const { dropId, url, page, csrf, version } = await preview(csv);
    expect(page.text).toContain('金庫に追加する人: 3 人');
    expect(page.text).not.toContain('番号が以前と違う');
    expect(heldCounts(page.text)).toEqual({ summary: 0, section: 0 });

    const confirm = await agent.post(`${url}/confirm`).type('form').send({ _csrf: csrf, version });
    expect(confirm.status).toBe(303);
    const rows = await t.deps.db.selectFrom('persons').select(['name', 'relation', 'employee_person_id']).where('source_drop_id', '=', dropId).orderBy('relation').execute();
    expect(rows.map((r) => [r.name, r.relation])).toEqual([
      ['山本 一郎', '本人'],
      ['山本 春子', '扶養親族1'],
      ['山本 春子', '配偶者'],
    ].sort((a, b) => (a[1]! < b[1]! ? -1 : 1)));
    expect(await t.deps.db.selectFrom('ingest_review').select('id').where('drop_id', '=', dropId).execute()).toEqual([]);
  }, 60_000);

  it('a later file with a new number for the held spouse holds that one as a number change, and both counts say 1', async () => {
    const csv = relativesCsv([{ code: 'S002', name: '川口 二郎', number: n[3]!, spouse: ['川口 夏子', n[4]!], dep1: ['川口 夏子', n[5]!] }]);
    const first = await preview(csv);
    expect((await agent.post(`${first.url}/confirm`).type('form').send({ _csrf: first.csrf, version: first.version })).status).toBe(303);

    // Same employee, same two relatives; the spouse's number is different now.
    const again = await preview(relativesCsv([{ code: 'S002', name: '川口 二郎', number: n[3]!, spouse: ['川口 夏子', n[6]!], dep1: ['川口 夏子', n[5]!] }]));
    expect(again.page.text).toContain('金庫に追加する人: 0 人');
    expect(heldCounts(again.page.text)).toEqual({ summary: 1, section: 1 });
    // The held row is listed in the section itself, not only counted.
    const section = again.page.text.slice(again.page.text.indexOf('id="review"'), again.page.text.indexOf('id="persons"'));
    expect(section).toContain('以前と違う個人番号で届きました');
    expect(section).not.toContain('保留する行はありません');
  }, 60_000);
});
