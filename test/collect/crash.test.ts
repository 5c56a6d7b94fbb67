import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApp } from '../../server/app.js';
import { requestActing } from '../../server/audit/acting.js';
import { auditContext } from '../../server/audit/service.js';
import { issueRequests } from '../../server/collect/service.js';
import { FAILPOINTS } from '../../server/failpoints.js';
import { copyOf, everyCaseOnce, expectKilled, openDeps, post, startKinko, stepUpSession, stopKinko } from '../helpers/crash-kinko.js';
import { arrangeOffice, encryptToOffice, STAFF_PASSPHRASE, type Office } from '../helpers/ingest-office.js';
import { syntheticMyNumbers } from '../helpers/mynumber.js';
import { outboxMails } from '../helpers/outbox.js';

/**
 * Kill -9 while a key holder confirms or sends back a collected submission
 * (issue 18, P9): a real `kinko serve` with KINKO_FAILPOINTS=collect.<step>,
 * killed after the confirmation or return committed, or after the
 * submission's object was deleted but before its disposal record. After the
 * restart the submission is destroyed and recorded exactly once, a confirmed
 * employee is held exactly once, a returned one has a fresh link, and no
 * identity image or number is left anywhere in the data folder.
 * KINKO_CRASH_ROUNDS repeats the set.
 */
const ROUNDS = Math.max(1, Number(process.env.KINKO_CRASH_ROUNDS ?? 1) || 1);
const CASES = [
  ...FAILPOINTS.filter((f) => f.startsWith('collect.')).map((fp) => ({ fp, action: fp === 'collect.after-return' ? ('return' as const) : ('confirm' as const) })),
  { fp: 'collect.after-delete', action: 'return' as const },
];
const [own, spouse] = syntheticMyNumbers(2, 1818);
const picture = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(300)]);

interface Arranged {
  office: Office;
  submissionId: string;
  requestId: string;
  storedKey: string;
}

async function state(dataDir: string, a: Arranged) {
  const deps = await openDeps(dataDir);
  try {
    const sub = await deps.db.selectFrom('collect_submissions').select(['state']).where('id', '=', a.submissionId).executeTakeFirstOrThrow();
    const req = await deps.db.selectFrom('collect_requests').select(['status', 'links_issued']).where('id', '=', a.requestId).executeTakeFirstOrThrow();
    const records = await deps.db.selectFrom('disposals').select('id').where('subject_id', '=', a.submissionId).execute();
    const persons = await deps.db.selectFrom('persons').select(['name', 'state']).where('company_id', '=', a.office.company.id).execute();
    return { submission: sub.state, request: req, records: records.length, persons: persons.map((p) => p.name).sort(), remnants: await deps.storage.drops.remnants(a.storedKey) };
  } finally {
    await deps.close();
  }
}

async function crashCase(template: string, a: Arranged, c: (typeof CASES)[number]) {
  const dataDir = copyOf(template, 'kinko-ccrash-');
  let logs = '';
  const first = await startKinko(dataDir, c.fp);
  try {
    const sid = await stepUpSession(dataDir, a.office.holder.id);
    const form: Record<string, string> = c.action === 'confirm' ? { passphrase: STAFF_PASSPHRASE } : { reason: '写真がぼやけて読めません。撮り直してください。' };
    await expectKilled(first, `${c.fp} (${c.action})`, () => post(`http://127.0.0.1:${first.port}`, sid, `/office/collect/${a.submissionId}`, `/office/collect/${a.submissionId}/${c.action}`, form));
  } finally {
    await stopKinko(first);
    logs += first.out();
  }
  const second = await startKinko(dataDir);
  try {
    const s = await state(dataDir, a);
    expect({ ...c, submission: s.submission, records: s.records, remnants: s.remnants }).toEqual({ ...c, submission: 'disposed', records: 1, remnants: [] });
    if (c.action === 'confirm') {
      expect(s.request.status).toBe('confirmed');
      expect(s.persons).toEqual(['山田 太郎', '山田 花子']);
    } else {
      expect(s.persons).toEqual([]);
      // Killed before the e-mail: a fresh link replaces the unsent one and is mailed at start-up. Killed after it: mailed once.
      const mails = outboxMails(dataDir).filter((m) => m.raw.includes('taro@example.jp'));
      const links = mails.map((m) => /\/c\/([A-Za-z0-9_-]{32})/.exec(m.text)?.[1]);
      expect({ fp: c.fp, request: s.request, mails: mails.length, distinct: new Set(links).size, all: links.every(Boolean) }).toEqual(
        c.fp === 'collect.after-return'
          ? { fp: c.fp, request: { status: 'requested', links_issued: 3 }, mails: 2, distinct: 2, all: true } // the request's first mail + the re-sent one
          : { fp: c.fp, request: { status: 'requested', links_issued: 2 }, mails: 2, distinct: 2, all: true },
      );
    }
  } finally {
    await stopKinko(second);
    logs += second.out();
  }
  return { logs, dataDir };
}

describe(`collection crash safety: kill -9 at every confirm / return failpoint, restart, the submission is destroyed once (${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`, () => {
  let template: string;
  let a: Arranged;

  beforeAll(async () => {
    template = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-ccrash-template-'));
    const deps = await openDeps(template, true);
    try {
      const office = await arrangeOffice(deps);
      const issued = await issueRequests(deps, requestActing(auditContext(deps), { userId: office.client.id, role: 'client', companyId: office.company.id }), { companyId: office.company.id, people: [{ name: '山田 太郎', employeeCode: 'E100', email: 'taro@example.jp' }] });
      expect(issued.slips).toEqual([]); // mailed, so no slip: the link is read from the mail
      const link = /\/c\/([A-Za-z0-9_-]{32})/.exec(outboxMails(template)[0]!.text)![1]!;
      // the employee's phone, against the app on the template folder
      const agent = request.agent(await createApp(deps));
      const page = await agent.get(`/c/${link}`).expect(200);
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
      await agent.post(`/c/${link}/acknowledge`).type('form').send({ _csrf: csrf, version: '0' }).expect(303);
      const payload = {
        v: 1,
        persons: [
          { relation: 'self', name: '山田 太郎', birth: '1980-01-01', number: own },
          { relation: 'spouse', name: '山田 花子', birth: '1981-02-02', number: spouse },
        ],
        identity: { kind: 'card', images: [{ role: 'cardFront', type: 'image/jpeg', data: picture.toString('base64') }, { role: 'cardBack', type: 'image/jpeg', data: picture.toString('base64') }] },
      };
      const cipher = await encryptToOffice(deps.db, Buffer.from(JSON.stringify(payload)));
      const res = await agent.post(`/c/${link}/submit`).set('X-CSRF-Token', csrf).set('X-Kinko-Ref', 'ref-crash-collect-0001').set('Content-Type', 'application/octet-stream').set('Accept', 'application/json').send(cipher);
      if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${res.text.slice(0, 400)}`);
      const sub = await deps.db.selectFrom('collect_submissions').select(['id', 'request_id', 'stored_key']).executeTakeFirstOrThrow();
      a = { office, submissionId: sub.id, requestId: sub.request_id, storedKey: sub.stored_key };
    } finally {
      await deps.close();
    }
  }, 60_000);
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  for (let round = 1; round <= ROUNDS; round++) {
    it(
      `round ${round}: every collection failpoint (${CASES.length}) — kill, restart, destroyed and recorded once`,
      async () => {
        await everyCaseOnce(CASES, (c: (typeof CASES)[number]) => crashCase(template, a, c), [own!, spouse!]);
      },
      300_000,
    );
  }
});
